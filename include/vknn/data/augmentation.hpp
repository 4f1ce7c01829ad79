// Random augmentation of training pictures, Keras's ImageDataGenerator's
// (rotation_range, width_shift_range, height_shift_range, shear_range,
// zoom_range, horizontal_flip, vertical_flip, fill_mode, cval), done on the
// device inside the recorded training step: the gather that picks a step's
// samples draws each sample's transform and samples it bilinearly, so the
// host does nothing per step (docs/image-folders.md, "Augmentation").
//
//   model.fit(samples, labels, {.epochs = 15, .augmentation = vknn::Augmentation{
//       .rotation_range = 40, .width_shift_range = {0.2f}, .height_shift_range = {0.2f},
//       .shear_range = 0.2f, .zoom_range = vknn::Augmentation::zoom(0.2f),
//       .horizontal_flip = true, .seed = 1}});
//
// The transform's conventions are Keras's (keras-preprocessing 1.1.2 and
// Keras 3's keras/src/legacy/preprocessing/image.py, which agree):
// get_random_transform draws the parameters, apply_transform applies them
// (apply_affine_transform, then the flips). Only training augments:
// evaluate, predict and fit's validation never do.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vknn {

// How a pixel that maps outside the picture is filled: scipy.ndimage's
// boundary modes, which Keras's fill_mode passes on (order 1).
enum class FillMode : std::uint32_t {
  nearest,   // the nearest edge pixel (Keras's default)
  reflect,   // mirrored about the edge: d c b a | a b c d | d c b a
  wrap,      // scipy's 'wrap': repeats with period (side - 1), as Keras gets it
  constant,  // `cval` wherever the point is outside [0, side - 1] on either axis
};

std::string to_string(FillMode mode);
// "nearest", "reflect", "wrap" or "constant"; anything else is an error
// naming the four.
FillMode fill_mode_from_string(const std::string& name);

// Keras's width_shift_range / height_shift_range.
struct ShiftRange {
  // Keras's float r: a shift uniform in [-r, r), in pixels, times the side's
  // length when r < 1 (0.2: a fifth of the picture either way).
  float range = 0.0f;
  // Keras's int n (np.random.choice(n) * np.random.choice([-1, 1])): a
  // whole number of pixels k * sign, k uniform in 0 .. n-1; range must be a
  // whole number then.
  bool whole_pixels = false;
};

// Whose geometry a transform follows. The two agree on square pictures.
enum class AugmentationGeometry : std::uint32_t {
  // ImageDataGenerator's: the centre (height / 2 - 0.5, width / 2 - 0.5)
  // lands on swapped axes (for a picture that is not square the centre of
  // rotation is off centre) and the shift drawn from height_shift_range,
  // times the height, moves columns: Keras's own quirks, kept.
  image_data_generator,
  // The Random* preprocessing layers' (RandomRotation, RandomZoom,
  // RandomTranslation, RandomFlip): the centre ((width - 1) / 2,
  // (height - 1) / 2), height_shift_range times the height moves rows and
  // width_shift_range times the width moves columns.
  preprocessing_layers,
};

struct Augmentation {
  float rotation_range = 0.0f;  // degrees: theta uniform in [-r, r)
  ShiftRange width_shift_range;
  ShiftRange height_shift_range;
  float shear_range = 0.0f;  // degrees (counter-clockwise), uniform in [-r, r)
  // zx and zy, each drawn uniformly in [lower, upper) on its own; Keras's
  // float z is zoom(z) = {1 - z, 1 + z}. Values above 1 zoom out.
  std::array<float, 2> zoom_range = {1.0f, 1.0f};
  // zy = zx: one zoom for both axes, keeping the aspect ratio (RandomZoom
  // without a width_factor). ImageDataGenerator draws the two on their own.
  bool same_zoom_both_axes = false;
  AugmentationGeometry geometry = AugmentationGeometry::image_data_generator;
  bool horizontal_flip = false;  // each with probability 1/2
  bool vertical_flip = false;
  FillMode fill_mode = FillMode::nearest;
  // FillMode::constant's value, as the model sees it: after the gather's
  // conversion (uint8 pixels are seen as p / 255, so 0.5 is mid grey) and
  // after ImageDataGenerator's rescale (the Python API converts Keras's cval,
  // which is in the pictures' own units, to this).
  float cval = 0.0f;
  // The Philox key of every draw: the same seed draws the same transforms.
  std::uint64_t seed = 0;

  static std::array<float, 2> zoom(float z) { return {1.0f - z, 1.0f + z}; }
  // Every setting at its default: nothing to draw (fit then gathers plainly).
  bool is_identity() const;
  // Throws vknn::Error naming the setting at fault: ranges must be finite
  // and >= 0, a whole-pixel shift a whole number, zoom and cval finite.
  void validate() const;
  std::string describe() const;
};

// One sample's drawn transform, with Keras's names and meanings
// (get_random_transform's dictionary): theta and shear in degrees, tx the
// shift of the columns in pixels (drawn from height_shift_range under
// ImageDataGenerator's geometry, from width_shift_range under the layers'),
// ty the rows', zx and zy the zooms, and the flips.
struct AugmentationParameters {
  float theta = 0.0f, tx = 0.0f, ty = 0.0f, shear = 0.0f, zx = 1.0f, zy = 1.0f;
  bool flip_horizontal = false, flip_vertical = false;
};

// The transform the training step draws for dataset sample `sample` at
// optimizer step `step` (the step state's `iterations`: every step, hence
// every epoch, draws anew) for pictures of height x width: Philox4x32-10
// keyed by the seed, bit for bit what the device draws.
AugmentationParameters draw_augmentation(const Augmentation& augmentation, int height, int width,
                                         std::uint32_t sample, std::uint32_t step);

// Keras's apply_transform on one HWC picture of float values, on the CPU
// reference: `parameters` applied with `augmentation`'s fill_mode and cval
// (cval in the units of `image`, written as is). The device's augmented
// gather computes the same float32 values from the same parameters.
std::vector<float> apply_augmentation(const Augmentation& augmentation,
                                      const AugmentationParameters& parameters,
                                      std::span<const float> image, int height, int width,
                                      int channels);

}  // namespace vknn
