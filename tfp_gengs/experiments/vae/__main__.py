"""`python -m tfp_gengs.experiments.vae`: the study's command line."""

from tfp_gengs.experiments.vae import main

if __name__ == '__main__':
  main.cli()
