#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a trained model: installs the dependencies,
# builds tandem, converts Fashion-MNIST to HDF5, and trains the default configuration
# (launch/configs/fashion-mlp.ini) with mpirun on all cores, then draws its learning curves
# (runs/fashion-mlp/curves.png). Safe to re-run.
# Extra arguments go to `tandem train` (e.g. --epochs 3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$TANDEM_ROOT"

tandem_install_packages
tandem_build OFF

data=datasets/fashion-mnist.h5
if [ ! -f "$data" ]; then
  echo "== converting Fashion-MNIST to $data"
  "$TANDEM_BUILD/tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data" \
    --classes "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
fi

ranks=$(nproc)
echo "== training launch/configs/fashion-mlp.ini on $ranks rank(s)"
tandem_progress_args "$@"
mpirun -np "$ranks" --bind-to core "$TANDEM_BUILD/tandem" train --config launch/configs/fashion-mlp.ini \
  "${TANDEM_PROGRESS[@]}" "$@"
"$TANDEM_BUILD/tandem" plot --metrics runs/fashion-mlp/metrics.jsonl --out runs/fashion-mlp/curves.png
