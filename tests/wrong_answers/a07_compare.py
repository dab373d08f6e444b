"""Notebook 07: the reparameterisation trick with σ = ½·exp(logvar) in place of exp(logvar / 2), a slip of the
parentheses. The visible test's logvar = log 4 happens to give σ = 2 both ways, and gradients flow, so it passes the
visible tests; the hidden check compares ∂z/∂logvar with (z − mean) / 2 and names σ."""
CELL = "reparameterise"
SOURCE = '''
def reparameterise(mean, logvar, generator=None):
    sigma = 0.5 * torch.exp(logvar)
    return mean + sigma * torch.randn(mean.shape, generator=generator)
'''
FAILING_TEST = "reparameterise_tests"
MESSAGE = "is the standard deviation"
