import GANCommandLine

// `gan-sample`: sampling and export; the logic lives in GANCommandLine (SampleCommand.swift).
BLASKernelLaunch.apply()
GANSampleCommand.main()
