// GANModels: placeholder until its issue lands.
