// GANOptim: placeholder until its issue lands.
