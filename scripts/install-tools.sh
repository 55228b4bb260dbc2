#!/usr/bin/env bash
# Installs the system tools gen-rtl's simulation, synthesis and report tests use, from Debian's
# packages: Verilator, Icarus Verilog, Yosys, nextpnr-ice40 and icepack (fpga-icestorm: the iCE40
# flow places, routes and packs a bitstream), Chromium (the HTML report test renders in it,
# headless), tclsh (the vendor-script tests run Vivado/Quartus scripts against a stub), and the
# Fashion-MNIST data set (dataset-fashion-mnist, in /usr/share/datasets/) that
# the shipped model is tested on. Skips what is already installed. Needs root (or sudo).
set -euo pipefail
need=()
for tool in verilator iverilog yosys chromium; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
command -v tclsh >/dev/null 2>&1 || need+=(tcl)
command -v nextpnr-ice40 >/dev/null 2>&1 || need+=(nextpnr-ice40)
command -v icepack >/dev/null 2>&1 || need+=(fpga-icestorm)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
[ "${#need[@]}" -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
