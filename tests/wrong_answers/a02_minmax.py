"""Notebook 02: the optimal discriminator written as the bare formula p_data / (p_data + p_g). It passes the visible
tests (densities that are positive everywhere) but gives nan (0 / 0) where both densities vanish, which the hidden
check tests."""
CELL = "optimal_discriminator"
SOURCE = '''
def optimal_discriminator(p_data, p_g):
    if p_data.shape != p_g.shape:
        raise ValueError("p_data and p_g must have the same shape")
    return p_data / (p_data + p_g)
'''
FAILING_TEST = "optimal_discriminator_tests"
MESSAGE = "where p_data and p_g are both 0 no sample can land"
