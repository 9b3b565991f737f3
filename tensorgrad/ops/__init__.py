"""The primitive table: one Function subclass per primitive, its formula in the docstring."""
