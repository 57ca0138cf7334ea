// GANImage: placeholder until its issue lands.
