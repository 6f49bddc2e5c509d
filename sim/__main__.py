from sim.cli import main
from sim.experiments.gc_freeze import freeze_at_exit

if __name__ == "__main__":
    freeze_at_exit()
    main()
