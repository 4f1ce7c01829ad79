"""The course's Fashion-MNIST CNN with tf.distribute's two lines added, for
tests/distributed/test_python_strategy.py, which starts it as
`mpirun -np N /usr/bin/python3 strategy_course.py ...` (or alone).

It is the course's code (16 filters and the first samples only, to be quick),
with Keras's CSVLogger, ModelCheckpoint and TensorBoard callbacks writing to
--out. Every rank writes what it holds to --out/rank<N>.txt: a hash of its
weights and of its predictions, and the files the callbacks asked vknn to
write on that rank (recorded by wrapping the two calls that write them).
Rank 0 (Keras's chief: task_id 0) prints the figures the test compares and
saves the weights as --out/weights.npz.
"""
import argparse
import hashlib
import os

import numpy as np

import vknn as tf

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--strategy", choices=["multi_worker", "mirrored"], default="multi_worker")
parser.add_argument("--samples", type=int, default=320)
parser.add_argument("--test-samples", type=int, default=200)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--outside-scope", action="store_true",
                    help="build and compile the model outside strategy.scope()")
parser.add_argument("--fail-on-rank", type=int, default=-1,
                    help="a callback raises at the first epoch end on this rank")
args = parser.parse_args()

# The two lines a Keras user adds (the strategy first, as Keras asks).
if args.strategy == "multi_worker":
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    rank = strategy.cluster_resolver.task_id
else:
    strategy = tf.distribute.MirroredStrategy()  # has no cluster_resolver, as in Keras
    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", "0"))
if rank == 0:
    print("replicas", strategy.num_replicas_in_sync)

# Which files vknn writes on this rank: CSVLogger writes through the
# library's atomic writer, ModelCheckpoint through model.save_weights.
writes = []
write_file_atomically = tf._vknn.write_file_atomically


def recording_write(path, data):
    writes.append(os.path.basename(path))
    write_file_atomically(path, data)


tf._vknn.write_file_atomically = recording_write

fmnist = tf.keras.datasets.fashion_mnist
(training_images, training_labels), (test_images, test_labels) = fmnist.load_data()
training_images = training_images[:args.samples].reshape(-1, 28, 28, 1) / 255.0
training_labels = training_labels[:args.samples]
test_images = test_images[:args.test_samples].reshape(-1, 28, 28, 1) / 255.0
test_labels = test_labels[:args.test_samples]


def build():
    model = tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(16, (3, 3), activation='relu', input_shape=(28, 28, 1)),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Conv2D(16, (3, 3), activation='relu'),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(128, activation=tf.nn.relu),
        tf.keras.layers.Dense(10, activation=tf.nn.softmax)
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    return model


if args.outside_scope:
    model = build()
else:
    with strategy.scope():
        model = build()
model.summary()

save_weights = model.save_weights


def recording_save_weights(filepath, *a, **kw):
    writes.append(os.path.basename(filepath))
    save_weights(filepath, *a, **kw)


model.save_weights = recording_save_weights


class FailOnRank(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if rank == args.fail_on_rank:
            raise RuntimeError("a deliberate failure in a callback on this rank")


initial = model.get_weights()
history = model.fit(training_images, training_labels, epochs=args.epochs,
                    batch_size=args.batch_size,
                    callbacks=[FailOnRank(),
                               tf.keras.callbacks.CSVLogger(os.path.join(args.out, "history.csv")),
                               tf.keras.callbacks.ModelCheckpoint(
                                   os.path.join(args.out, "checkpoint-{epoch}.weights"),
                                   monitor="loss", save_weights_only=True),
                               tf.keras.callbacks.TensorBoard(os.path.join(args.out, "logs"))])
test_loss, test_accuracy = model.evaluate(test_images, test_labels, batch_size=args.batch_size)
predictions = model.predict(test_images, batch_size=args.batch_size)

weights = model.get_weights()
weights_hash = hashlib.sha256(b"".join(w.tobytes() for w in weights)).hexdigest()
with open(os.path.join(args.out, f"rank{rank}.txt"), "w") as f:
    f.write(f"weights {weights_hash}\npredictions {hashlib.sha256(predictions.tobytes()).hexdigest()}\n"
            f"writes {' '.join(sorted(set(writes)))}\n")
if rank == 0:
    print("train loss", repr(history.history["loss"][-1]))
    print("test loss", repr(test_loss))
    print("test accuracy", repr(test_accuracy))
    print("prediction0", " ".join(repr(float(p)) for p in predictions[0]))
    print("moved", repr(max(float(np.max(np.abs(a - b))) for a, b in zip(initial, weights))))
    np.savez(os.path.join(args.out, "weights.npz"), *weights)
