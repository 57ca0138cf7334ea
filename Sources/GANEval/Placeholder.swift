// GANEval: placeholder until gan-eval lands.
