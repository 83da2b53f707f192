"""nn.functional ops, by family: each submodule registers its functions as "nn.functional.<name>"."""
