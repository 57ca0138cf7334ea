// GANTransport: placeholder until its issue lands.
