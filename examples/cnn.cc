// A small CNN that learns to tell the orientation of a bar in noisy generated images, with the
// engine API alone (engine/autograd for the ops and backward, engine/optim for SGD): no daemon,
// no client.
//
//   bazel run //examples:cnn            prints the loss every 25 steps and the accuracy
//
// Data: 1x12x12 images of 4 classes, a 2-pixel-wide line at a random offset that is
// horizontal (0), vertical (1), diagonal (2) or anti-diagonal (3), plus Gaussian noise
// (sigma 0.3) on every pixel; 256 for training, 256 more (another draw) held out.
// Model: conv2d(1, 8, 3) -> ReLU -> max_pool2d(2) -> conv2d(8, 16, 3) -> ReLU ->
// adaptive_avg_pool2d(1) -> flatten -> linear(16, 4), cross_entropy, SGD (lr 0.05, momentum
// 0.9) for 200 full-batch steps. Exits 0 when the final training loss is under kMaxLoss and
// the held-out accuracy is at least kMinAccuracy, so tests/examples/examples_test.cc can run
// it as is. The global average pool makes the model blind to where the line is, so it has to
// learn the orientation from the conv filters.
#include <cstdio>
#include <random>
#include <vector>

#include "engine/autograd/grad_mode.h"
#include "engine/optim/sgd.h"
#include "examples/training.h"

namespace {

using namespace kiln;
using examples::uniform_param;

constexpr int64_t kImages = 256, kSide = 12, kClasses = 4, kSteps = 200;
constexpr double kNoise = 0.3;
constexpr double kMaxLoss = 0.05;      // chance is ln 4 = 1.39; reached: ~0.01
constexpr double kMinAccuracy = 0.95;  // reached: ~1.0

struct Images {
  Tensor x;  // (kImages, 1, kSide, kSide) float32
  Tensor y;  // (kImages,) int64 class indices
};

// Image i has class i % kClasses, so every class has the same count.
Images generate(std::mt19937& rng) {
  std::uniform_int_distribution<int> offset(1, kSide - 2);
  std::normal_distribution<double> noise(0.0, kNoise);
  Images d{empty_tensor({kImages, 1, kSide, kSide}, DType::kFloat32), empty_tensor({kImages}, DType::kInt64)};
  float* px = d.x.data_ptr<float>();
  int64_t* py = d.y.data_ptr<int64_t>();
  for (int64_t n = 0; n < kImages; ++n) {
    const int64_t c = n % kClasses, k = offset(rng);
    py[n] = c;
    for (int64_t i = 0; i < kSide; ++i) {
      for (int64_t j = 0; j < kSide; ++j) {
        // The coordinate whose value picks the line, shifted so that k spans the image.
        const int64_t v = c == 0 ? i : c == 1 ? j : c == 2 ? i - j + kSide / 2 : i + j - kSide / 2 + 1;
        const bool on = v == k || v == k + 1;
        *px++ = float((on ? 1.0 : 0.0) + noise(rng));
      }
    }
  }
  return d;
}

struct Conv2d {
  Tensor weight, bias;
  Conv2d(int64_t in, int64_t out, int64_t kernel, std::mt19937& rng)
      : weight(uniform_param({out, in, kernel, kernel}, in * kernel * kernel, rng)),
        bias(uniform_param({out}, in * kernel * kernel, rng)) {}
  Tensor operator()(const Tensor& x) const { return conv2d(x, weight, bias); }
};

struct Linear {
  Tensor weight, bias;
  Linear(int64_t in, int64_t out, std::mt19937& rng)
      : weight(uniform_param({out, in}, in, rng)), bias(uniform_param({out}, in, rng)) {}
  Tensor operator()(const Tensor& x) const { return linear(x, weight, bias); }
};

struct Net {
  Conv2d c1, c2;
  Linear fc;
  explicit Net(std::mt19937& rng) : c1(1, 8, 3, rng), c2(8, 16, 3, rng), fc(16, kClasses, rng) {}
  // (N, 1, 12, 12) -> conv 10x10 -> pool 5x5 -> conv 3x3 -> pool 1x1 -> (N, kClasses) logits
  Tensor operator()(const Tensor& x) const {
    const Tensor h = max_pool2d(relu(c1(x)), {2, 2});
    return fc(flatten(adaptive_avg_pool2d(relu(c2(h)), {1, 1}), 1));
  }
  std::vector<Tensor> parameters() const { return {c1.weight, c1.bias, c2.weight, c2.bias, fc.weight, fc.bias}; }
};

}  // namespace

int main() {
  std::mt19937 rng(0);
  const Images train = generate(rng), held_out = generate(rng);
  const Net net(rng);
  optim::SGDOptions opts;
  opts.lr = 0.05;
  opts.momentum = 0.9;
  optim::SGD opt(net.parameters(), opts);

  const double loss_value =
      examples::train(opt, kSteps, 25, [&] { return cross_entropy(net(train.x), train.y); });

  NoGradGuard no_grad;
  const Tensor correct = sum(eq(argmax(net(held_out.x), 1), held_out.y));
  const double accuracy = correct.item().to<double>() / double(kImages);
  std::printf("final loss %.6f (threshold %g), held-out accuracy %.4f (at least %g)\n", loss_value, kMaxLoss,
              accuracy, kMinAccuracy);
  return loss_value < kMaxLoss && accuracy >= kMinAccuracy ? 0 : 1;
}
