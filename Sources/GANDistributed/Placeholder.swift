// GANDistributed: placeholder until its issue lands.
