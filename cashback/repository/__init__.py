"""Every query of cashback's tables, one module per part of the scheme (as in ``cashback.service``);
callers import the module they mean."""
