"""The course's Exercise 3 ("Improve MNIST with convolutions"), its answer
as the course writes it, with only the import line changed: a Callback
subclass that stops training once accuracy passes 99.8%.

Change for test time, marked `# test:`: the data is a 256-image prefix, which
the model learns to 100% training accuracy in a few epochs, so the callback
fires long before the 20 epochs run out.
"""


def test_exercise3_callback_stops_at_99_8_percent(capsys):
    import vknn as tf

    class myCallback(tf.keras.callbacks.Callback):
      def on_epoch_end(self, epoch, logs={}):
        if(logs.get('accuracy')>0.998):
          print("\nReached 99.8% accuracy so cancelling training!")
          self.model.stop_training = True

    callbacks = myCallback()
    mnist = tf.keras.datasets.mnist
    (training_images, training_labels), (test_images, test_labels) = mnist.load_data()
    training_images=training_images.reshape(60000, 28, 28, 1)
    training_images=training_images / 255.0
    test_images = test_images.reshape(10000, 28, 28, 1)
    test_images=test_images/255.0
    training_images, training_labels = training_images[:256], training_labels[:256]  # test:
    model = tf.keras.models.Sequential([
      tf.keras.layers.Conv2D(32, (3,3), activation='relu', input_shape=(28, 28, 1)),
      tf.keras.layers.MaxPooling2D(2, 2),
      tf.keras.layers.Flatten(),
      tf.keras.layers.Dense(128, activation='relu'),
      tf.keras.layers.Dense(10, activation='softmax')
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(training_images, training_labels, epochs=20, callbacks=[callbacks])  # test: 20

    out = capsys.readouterr().out
    assert "Reached 99.8% accuracy so cancelling training!" in out
    accuracy = history.history["accuracy"]
    assert accuracy[-1] > 0.998
    assert all(a <= 0.998 for a in accuracy[:-1]), accuracy
    assert len(history.epoch) < 20
    assert f"Epoch {len(history.epoch) + 1}/20" not in out
    # Learned, not memorised only: well above chance on unseen digits.
    loss, test_accuracy = model.evaluate(test_images[:1000], test_labels[:1000], verbose=0)
    assert test_accuracy > 0.6, test_accuracy
