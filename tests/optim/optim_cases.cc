#include "tests/optim/optim_cases.h"

#include <cmath>
#include <fstream>
#include <limits>

#include "engine/autograd/engine.h"
#include "engine/autograd/functions.h"
#include "engine/autograd/operators.h"
#include "engine/optim/adagrad.h"
#include "engine/optim/adam.h"
#include "engine/optim/rmsprop.h"
#include "engine/optim/sgd.h"

namespace kiln::testing {

const json& trajectories() {
  static const json j = [] {
    std::ifstream f("tests/optim/trajectories.json");
    KILN_CHECK(f.good(), "cannot open tests/optim/trajectories.json (Bazel builds it: //tests/optim:trajectories_json)");
    return json::parse(f);
  }();
  return j;
}

double decode_float(const json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    return s == "inf" ? std::numeric_limits<double>::infinity()
                      : -std::numeric_limits<double>::infinity();
  }
  return j.get<double>();
}

Tensor decode_tensor(const json& j) {
  const std::vector<int64_t> shape = j["shape"].get<std::vector<int64_t>>();
  const json& data = j["data"];
  Tensor t64 = empty_tensor(shape, DType::kFloat64);
  double* p = t64.data_ptr<double>();
  for (size_t i = 0; i < data.size(); ++i) p[i] = decode_float(data[i]);
  return to(t64, std::nullopt, dtype_from_name(j["dtype"].get<std::string>()));
}

optim::Value decode_value(const json& j) {
  if (j.contains("none")) return std::monostate{};
  if (j.contains("bool")) return j["bool"].get<bool>();
  if (j.contains("int")) return j["int"].get<int64_t>();
  if (j.contains("float")) return decode_float(j["float"]);
  if (j.contains("tuple")) {
    std::vector<double> v;
    for (const json& x : j["tuple"]) v.push_back(decode_float(x));
    return v;
  }
  return decode_tensor(j["tensor"]);
}

namespace {

void read(const json& kw, const char* key, double& field) {
  if (kw.contains(key)) field = kw[key].get<double>();
}
void read(const json& kw, const char* key, bool& field) {
  if (kw.contains(key)) field = kw[key].get<bool>();
}
void read(const json& kw, const char* key, std::pair<double, double>& field) {
  if (kw.contains(key)) field = {kw[key][0].get<double>(), kw[key][1].get<double>()};
}

// Group options as the Python dict gave them: [[key, value], ...] in its order.
optim::Dict options_of(const json& opts) {
  optim::Dict d;
  for (const json& kv : opts) {
    const std::string key = kv[0].get<std::string>();
    const json& v = kv[1];
    if (v.is_boolean()) {
      d.set(key, v.get<bool>());
    } else if (v.is_number_integer()) {
      d.set(key, v.get<int64_t>());
    } else if (v.is_array()) {
      d.set(key, v.get<std::vector<double>>());
    } else {
      d.set(key, v.get<double>());
    }
  }
  return d;
}

}  // namespace

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, const json& kw,
                                                 const json& groups,
                                                 const std::vector<Tensor>& params) {
  std::vector<optim::ParamGroup> gs;
  if (groups.is_null()) {
    gs.push_back({params, {}});
  } else {
    for (const json& g : groups) {
      optim::ParamGroup pg;
      for (const json& i : g["params"]) pg.params.push_back(params.at(i.get<size_t>()));
      pg.options = options_of(g["options"]);
      gs.push_back(std::move(pg));
    }
  }
  if (name == "SGD") {
    optim::SGDOptions o;
    if (kw.contains("lr")) o.lr = kw["lr"].get<double>();
    read(kw, "momentum", o.momentum);
    read(kw, "dampening", o.dampening);
    read(kw, "weight_decay", o.weight_decay);
    read(kw, "nesterov", o.nesterov);
    read(kw, "maximize", o.maximize);
    return std::make_unique<optim::SGD>(std::move(gs), o);
  }
  if (name == "Adam" || name == "AdamW") {
    auto fill = [&](auto& o) {
      read(kw, "lr", o.lr);
      read(kw, "betas", o.betas);
      read(kw, "eps", o.eps);
      read(kw, "weight_decay", o.weight_decay);
      read(kw, "amsgrad", o.amsgrad);
      read(kw, "maximize", o.maximize);
    };
    if (name == "Adam") {
      optim::AdamOptions o;
      fill(o);
      return std::make_unique<optim::Adam>(std::move(gs), o);
    }
    optim::AdamWOptions o;
    fill(o);
    return std::make_unique<optim::AdamW>(std::move(gs), o);
  }
  if (name == "RMSprop") {
    optim::RMSpropOptions o;
    read(kw, "lr", o.lr);
    read(kw, "alpha", o.alpha);
    read(kw, "eps", o.eps);
    read(kw, "weight_decay", o.weight_decay);
    read(kw, "momentum", o.momentum);
    read(kw, "centered", o.centered);
    read(kw, "maximize", o.maximize);
    return std::make_unique<optim::RMSprop>(std::move(gs), o);
  }
  KILN_CHECK(name == "Adagrad", "unknown optimizer ", name);
  optim::AdagradOptions o;
  read(kw, "lr", o.lr);
  read(kw, "lr_decay", o.lr_decay);
  read(kw, "weight_decay", o.weight_decay);
  read(kw, "initial_accumulator_value", o.initial_accumulator_value);
  read(kw, "eps", o.eps);
  read(kw, "maximize", o.maximize);
  return std::make_unique<optim::Adagrad>(std::move(gs), o);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const json& c, const std::vector<Tensor>& params) {
  return make_optimizer(c["optimizer"].get<std::string>(), c["kwargs"], c["groups"], params);
}

Problem problem(DType dtype) {
  const json& p = trajectories()["problem"];
  Problem pr;
  for (int i = 0; i < 3; ++i) {
    pr.init.push_back(to(decode_tensor(p["init"][i]), std::nullopt, dtype));
    pr.a.push_back(to(decode_tensor(p["a"][i]), std::nullopt, dtype));
    pr.c.push_back(to(decode_tensor(p["c"][i]), std::nullopt, dtype));
  }
  pr.coupling = p["coupling"].get<double>();
  pr.p2_has_grad = p["p2_has_grad"].get<std::vector<bool>>();
  return pr;
}

std::vector<Tensor> leaves(const std::vector<Tensor>& values) {
  std::vector<Tensor> out;
  for (const Tensor& v : values) {
    Tensor t = clone(v.detach());
    t.set_requires_grad(true);
    out.push_back(t);
  }
  return out;
}

void compute_grads(optim::Optimizer& opt, const std::vector<Tensor>& ps, const Problem& pr,
                   int step) {
  opt.zero_grad(/*set_to_none=*/true);
  // The same expression, in the same order, as gen_trajectories.py's loss_fn.
  auto quad = [&](int i) { return 0.5 * sum(pr.a[i] * (ps[i] - pr.c[i]) * (ps[i] - pr.c[i])); };
  Tensor loss = quad(0);
  loss = loss + quad(1);
  loss = loss + pr.coupling * sum(ps[0]) * sum(ps[1]);
  if (pr.p2_has_grad[step]) loss = loss + quad(2);
  backward(loss);
}

std::vector<double> flat(const std::vector<Tensor>& ts) {
  std::vector<double> out;
  for (const Tensor& t : ts) {
    const Tensor c = contiguous(t.detach());
    for (int64_t i = 0; i < c.numel(); ++i) out.push_back(cpu_element_as_double(c, i));
  }
  return out;
}

double max_abs_diff(const std::vector<double>& got, const json& expected) {
  KILN_CHECK(got.size() == expected.size(), "got ", got.size(), " values, expected ",
             expected.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = decode_float(expected[i]);
    if (std::isnan(e) || std::isnan(got[i])) {
      if (std::isnan(e) != std::isnan(got[i])) return std::numeric_limits<double>::infinity();
      continue;
    }
    worst = std::max(worst, std::fabs(got[i] - e));
  }
  return worst;
}

}  // namespace kiln::testing
