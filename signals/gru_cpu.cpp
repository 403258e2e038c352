// A GRU layer's forward and backward pass on the CPU, whole sequences at a time.
//
// PyTorch's CPU GRU runs each time step as about ten ATen calls forward and
// twenty autograd nodes backward, so a small network (hidden 64, batches of 64)
// spends most of its time dispatching.  Here a layer is one call each way: the
// input projections of all steps are one matrix product, every step is one
// matrix product (the hidden projection) and one fused loop over the gates, and
// the weight gradients of all steps are one matrix product each.  The gate
// equations are torch.nn.GRU's (gate order r, z, n; "linear before reset"):
//
//   r = s(x W_ir' + b_ir + h W_hr' + b_hr)
//   z = s(x W_iz' + b_iz + h W_hz' + b_hz)
//   n = tanh(x W_in' + b_in + r * (h W_hn' + b_hn))
//   h' = (1 - z) * n + z * h
//
// exp and tanh are Cephes' single-precision polynomials (about one ulp), written
// branch-free so that the compiler vectorises the gate loops.  Float32 only.

#include <torch/extension.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

inline float exp_f(float x) {
  // Cephes expf: exp(x) = 2^k exp(g), |g| <= ln(2) / 2, clamped where float over- or underflows.
  x = x > 88.3762626647949f ? 88.3762626647949f : x;
  x = x < -87.3365447504f ? -87.3365447504f : x;
  float k = std::floor(x * 1.44269504088896341f + 0.5f);
  float g = x - k * 0.693359375f;
  g = g + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * g + 1.3981999507e-3f;
  p = p * g + 8.3334519073e-3f;
  p = p * g + 4.1665795894e-2f;
  p = p * g + 1.6666665459e-1f;
  p = p * g + 5.0000001201e-1f;
  float y = p * g * g + g + 1.0f;
  int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

inline float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

inline float tanh_f(float x) {
  // Cephes tanhf: an odd polynomial below 0.625, 1 - 2 / (exp(2|x|) + 1) above.
  float a = std::fabs(x);
  float z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
                 3.33332819422e-1f) *
                    z * x +
                x;
  float big = 1.0f - 2.0f / (exp_f(2.0f * a) + 1.0f);
  big = x < 0.0f ? -big : big;
  return a < 0.625f ? small : big;
}

void check_inputs(const torch::Tensor& x, const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                  const torch::Tensor& b_ih, const torch::Tensor& b_hh) {
  TORCH_CHECK(x.device().is_cpu() && x.scalar_type() == torch::kFloat32, "gru_cpu: x must be a float32 CPU tensor");
  TORCH_CHECK(x.dim() == 3, "gru_cpu: x must be (batch, time, inputs), got ", x.dim(), " dimensions");
  const int64_t H = w_hh.size(1);
  TORCH_CHECK(w_ih.size(0) == 3 * H && w_hh.size(0) == 3 * H && w_ih.size(1) == x.size(2),
              "gru_cpu: weights must be (3H, inputs) and (3H, H)");
  TORCH_CHECK(b_ih.numel() == 3 * H && b_hh.numel() == 3 * H, "gru_cpu: biases must have 3H entries");
}

}  // namespace

// Forward pass from a zero initial state.  x: (B, T, I).  Returns the outputs
// (B, T, H) and, when `save`, what the backward pass reads: the states h_0..h_{T-1}
// (T, B, H), the gates r, z, n and the hidden projection of n, each (T, B, H).
std::vector<torch::Tensor> gru_forward(torch::Tensor x, torch::Tensor w_ih, torch::Tensor w_hh, torch::Tensor b_ih,
                                       torch::Tensor b_hh, bool save) {
  check_inputs(x, w_ih, w_hh, b_ih, b_hh);
  torch::NoGradGuard no_grad;
  const int64_t B = x.size(0), T = x.size(1), I = x.size(2), H = w_hh.size(1);
  auto opts = x.options();
  // Time-major input projections of every step at once: (T, B, 3H).
  auto xt = x.transpose(0, 1).contiguous();
  auto gi = torch::addmm(b_ih, xt.view({T * B, I}), w_ih.t()).view({T, B, 3 * H});
  auto hs = torch::empty({T + 1, B, H}, opts);
  hs[0].zero_();
  auto gh = torch::empty({B, 3 * H}, opts);
  // The gates of every step when the backward pass will read them; else one step's, overwritten.
  const int64_t kept = save ? T : 1;
  auto r_s = torch::empty({kept, B, H}, opts);
  auto z_s = torch::empty({kept, B, H}, opts);
  auto n_s = torch::empty({kept, B, H}, opts);
  auto hn_s = torch::empty({kept, B, H}, opts);
  auto w_hh_t = w_hh.t();
  const int64_t step = B * H;  // one time step of a (T, B, H) array
  const float* gi_base = gi.data_ptr<float>();
  const float* gh_p = gh.data_ptr<float>();
  float* hs_base = hs.data_ptr<float>();
  float* r_base = r_s.data_ptr<float>();
  float* z_base = z_s.data_ptr<float>();
  float* n_base = n_s.data_ptr<float>();
  float* hn_base = hn_s.data_ptr<float>();
  for (int64_t t = 0; t < T; ++t) {
    torch::addmm_out(gh, b_hh, hs.select(0, t), w_hh_t);
    const float* gi_p = gi_base + t * 3 * step;
    const float* hp = hs_base + t * step;
    float* hn = hs_base + (t + 1) * step;
    for (int64_t b = 0; b < B; ++b) {
      const float* gib = gi_p + b * 3 * H;
      const float* ghb = gh_p + b * 3 * H;
      const float* hpb = hp + b * H;
      float* hb = hn + b * H;
      const int64_t o = (save ? t * step : 0) + b * H;
      float* rb = r_base + o;
      float* zb = z_base + o;
      float* nb = n_base + o;
      float* hnb = hn_base + o;
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) {
        float r = sigmoid_f(gib[j] + ghb[j]);
        float z = sigmoid_f(gib[H + j] + ghb[H + j]);
        float n = tanh_f(gib[2 * H + j] + r * ghb[2 * H + j]);
        rb[j] = r;
        zb[j] = z;
        nb[j] = n;
        hnb[j] = ghb[2 * H + j];
        hb[j] = n + z * (hpb[j] - n);
      }
    }
  }
  auto out = hs.slice(0, 1).transpose(0, 1).contiguous();
  if (!save) return {out};
  return {out, hs.slice(0, 0, T), r_s, z_s, n_s, hn_s};
}

// Backward pass.  grad_out: (B, T, H), the loss's gradient with respect to the
// outputs.  Returns the gradients of x (when `need_dx`), w_ih, w_hh, b_ih and b_hh.
std::vector<torch::Tensor> gru_backward(torch::Tensor grad_out, torch::Tensor x, torch::Tensor w_ih,
                                        torch::Tensor w_hh, torch::Tensor hs, torch::Tensor r_s, torch::Tensor z_s,
                                        torch::Tensor n_s, torch::Tensor hn_s, bool need_dx) {
  torch::NoGradGuard no_grad;
  const int64_t B = x.size(0), T = x.size(1), I = x.size(2), H = w_hh.size(1);
  auto opts = x.options();
  auto go = grad_out.transpose(0, 1).contiguous();  // (T, B, H)
  auto dgi = torch::empty({T, B, 3 * H}, opts);       // gradients of the input projections
  auto dgh = torch::empty({T, B, 3 * H}, opts);       // and of the hidden projections
  auto dh = torch::zeros({B, H}, opts);
  auto dh_direct = torch::empty({B, H}, opts);
  const int64_t step = B * H;
  const float* go_base = go.data_ptr<float>();
  const float* hs_base = hs.data_ptr<float>();
  const float* r_base = r_s.data_ptr<float>();
  const float* z_base = z_s.data_ptr<float>();
  const float* n_base = n_s.data_ptr<float>();
  const float* hn_base = hn_s.data_ptr<float>();
  const float* dhp = dh.data_ptr<float>();
  float* ddp = dh_direct.data_ptr<float>();
  float* dgi_base = dgi.data_ptr<float>();
  float* dgh_base = dgh.data_ptr<float>();
  for (int64_t t = T - 1; t >= 0; --t) {
    const int64_t s1 = t * step;
    float* dgip = dgi_base + 3 * s1;
    float* dghp = dgh_base + 3 * s1;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t o = b * H, o3 = b * 3 * H;
      const float* gop = go_base + s1 + o;
      const float* hp = hs_base + s1 + o;
      const float* rp = r_base + s1 + o;
      const float* zp = z_base + s1 + o;
      const float* np_ = n_base + s1 + o;
      const float* hnp = hn_base + s1 + o;
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) {
        float g = dhp[o + j] + gop[j];
        float r = rp[j], z = zp[j], n = np_[j];
        float dn = g * (1.0f - z);
        float dz = g * (hp[j] - n);
        float dan = dn * (1.0f - n * n);
        float dar = dan * hnp[j] * r * (1.0f - r);
        float daz = dz * z * (1.0f - z);
        ddp[o + j] = g * z;
        dgip[o3 + j] = dar;
        dgip[o3 + H + j] = daz;
        dgip[o3 + 2 * H + j] = dan;
        dghp[o3 + j] = dar;
        dghp[o3 + H + j] = daz;
        dghp[o3 + 2 * H + j] = dan * r;
      }
    }
    // dh_{t-1} = dh_direct + dgh_t W_hh
    torch::addmm_out(dh, dh_direct, dgh.select(0, t), w_hh);
  }
  auto dgh2 = dgh.view({T * B, 3 * H});
  auto dgi2 = dgi.view({T * B, 3 * H});
  auto d_w_hh = torch::mm(dgh2.t(), hs.reshape({T * B, H}));
  auto d_b_hh = dgh2.sum(0);
  auto xt = x.transpose(0, 1).contiguous().view({T * B, I});
  auto d_w_ih = torch::mm(dgi2.t(), xt);
  auto d_b_ih = dgi2.sum(0);
  torch::Tensor dx;  // undefined (None) when x needs no gradient
  if (need_dx) dx = torch::mm(dgi2, w_ih).view({T, B, I}).transpose(0, 1).contiguous();
  return {dx, d_w_ih, d_w_hh, d_b_ih, d_b_hh};
}

// Without the GIL, so that minibatch shards trained in threads (signals/training.py) run at once.
PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("forward", &gru_forward, "GRU layer forward (CPU, float32)", py::call_guard<py::gil_scoped_release>());
  m.def("backward", &gru_backward, "GRU layer backward (CPU, float32)", py::call_guard<py::gil_scoped_release>());
}
