#include "lethe/fl/proximal.h"

namespace lethe::fl {

GradientTerm proximal_term(double mu, const TensorMap& global) {
  return [mu, &global](int64_t, const TensorMap& params, TensorMap& grads) {
    for (auto& [name, g] : grads)
      if (auto it = global.find(name); it != global.end()) g.add_(params.at(name) - it->second, mu);
  };
}

LocalRules client_rules(const FitIns& ins) {
  LocalRules rules;
  if (ins.config.proximal_mu > 0) rules.gradient_terms.push_back(proximal_term(ins.config.proximal_mu, ins.global));
  rules.gradient_terms.insert(rules.gradient_terms.end(), ins.local.gradient_terms.begin(),
                              ins.local.gradient_terms.end());
  rules.gradient_filters = ins.local.gradient_filters;
  return rules;
}

}  // namespace lethe::fl
