// GANTraining: placeholder until its issue lands.
