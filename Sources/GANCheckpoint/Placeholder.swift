// GANCheckpoint: placeholder until its issue lands.
