// GANLayers: placeholder until its issue lands.
