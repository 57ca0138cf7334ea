// GANData: placeholder until its issue lands.
