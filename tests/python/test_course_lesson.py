"""The TensorFlow course's week-3 lesson code, as the course writes it, with
only `import tensorflow as tf` changed to `import vknn as tf`.

Changes for test time, marked `# test:`: the data are prefixes (2,000
training and 1,000 test images) and fit runs 1 epoch instead of 5. The code
is the lab's listing ("Course 1 - Part 6 - Lesson 2", quoted in the course
notes /work/shared/seeds/004_*.txt), and the activation cell is the lab's
"visualizing the convolutions and pooling" cell, minus its matplotlib calls
(the test reads the arrays imshow would show).
"""
import numpy as np


def test_lesson_model_learns_and_reports_like_keras(capsys):
    import vknn as tf

    # Load the Fashion MNIST dataset
    fmnist = tf.keras.datasets.fashion_mnist
    (training_images, training_labels), (test_images, test_labels) = fmnist.load_data()
    training_images, training_labels = training_images[:2000], training_labels[:2000]  # test:
    test_images, test_labels = test_images[:1000], test_labels[:1000]  # test:

    # Normalize the pixel values
    training_images = training_images / 255.0
    test_images = test_images / 255.0

    # Define the model
    model = tf.keras.models.Sequential([

      # Add convolutions and max pooling
      tf.keras.layers.Conv2D(32, (3,3), activation='relu', input_shape=(28, 28, 1)),
      tf.keras.layers.MaxPooling2D(2, 2),
      tf.keras.layers.Conv2D(32, (3,3), activation='relu'),
      tf.keras.layers.MaxPooling2D(2,2),

      # Add the same layers as before
      tf.keras.layers.Flatten(),
      tf.keras.layers.Dense(128, activation='relu'),
      tf.keras.layers.Dense(10, activation='softmax')
    ])

    # Print the model summary
    model.summary()

    # Use same settings
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])

    # Train the model
    print(f'\nMODEL TRAINING:')
    history = model.fit(training_images, training_labels, epochs=1)  # test: 1 epoch, not 5

    # Evaluate on the test set
    print(f'\nMODEL EVALUATION:')
    test_loss = model.evaluate(test_images, test_labels)

    # What the notebook shows, through sys.stdout: the summary table and the bars.
    out = capsys.readouterr().out
    assert "conv2d (Conv2D)             (None, 26, 26, 32)        320" in out
    assert "flatten (Flatten)           (None, 800)               0" in out
    assert "Total params: 113,386" in out
    assert "Epoch 1/1" in out
    assert "63/63 [==============================]" in out
    assert "32/32 [==============================]" in out
    assert out.index("MODEL TRAINING:") < out.index("Epoch 1/1") < out.index("MODEL EVALUATION:")

    # Keras's return types; learning well above chance (0.1).
    assert isinstance(history, tf.keras.callbacks.History)
    assert list(history.history) == ["loss", "accuracy"]
    assert history.epoch == [0]
    assert isinstance(test_loss, list) and len(test_loss) == 2
    loss, accuracy = test_loss
    assert accuracy > 0.5, test_loss
    assert loss < 1.5, test_loss

    # predict: class probabilities, float32.
    probabilities = model.predict(test_images[:100])
    assert probabilities.shape == (100, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert (probabilities.argmax(axis=1) == test_labels[:100]).mean() > 0.5

    # The activation-visualisation cell.
    FIRST_IMAGE=0
    SECOND_IMAGE=23
    THIRD_IMAGE=28
    CONVOLUTION_NUMBER = 1
    layer_outputs = [layer.output for layer in model.layers]
    activation_model = tf.keras.models.Model(inputs = model.input, outputs = layer_outputs)
    shown = []
    for x in range(0,4):
      f1 = activation_model.predict(test_images[FIRST_IMAGE].reshape(1, 28, 28, 1))[x]
      shown.append(f1[0, : , :, CONVOLUTION_NUMBER])  # test: axarr[0,x].imshow(...)
      f2 = activation_model.predict(test_images[SECOND_IMAGE].reshape(1, 28, 28, 1))[x]
      f3 = activation_model.predict(test_images[THIRD_IMAGE].reshape(1, 28, 28, 1))[x]

    assert [s.shape for s in shown] == [(26, 26), (13, 13), (11, 11), (5, 5)]
    outputs = activation_model.predict(test_images[:3].reshape(3, 28, 28, 1))
    assert [o.shape for o in outputs] == [(3,) + tuple(layer.output_shape[1:])
                                          for layer in model.layers]
    assert all(o.dtype == np.float32 for o in outputs)
    # Each layer's output is what the next layer makes of it: relu outputs
    # are >= 0, pooling takes 2x2 maxima, the last layer is the model's
    # prediction.
    assert (outputs[0] >= 0).all()
    np.testing.assert_array_equal(outputs[1][0], outputs[0][0, :26, :26].reshape(13, 2, 13, 2, 32)
                                  .max(axis=(1, 3)))
    np.testing.assert_array_equal(outputs[4][0], outputs[3][0].reshape(-1))
    np.testing.assert_allclose(outputs[-1], model.predict(test_images[:3]), rtol=1e-5, atol=1e-6)
