"""The directory: patients (each the holder of one space), professionals,
their organizations, operators, and the login accounts behind them."""
