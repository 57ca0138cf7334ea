print("gan-eval: not implemented yet")
