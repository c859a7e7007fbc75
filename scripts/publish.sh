#!/usr/bin/env bash
# Self-contained single-file ipw for each runtime given (default: this machine's), in artifacts/publish/<rid>/:
# the ipw executable (no .NET needed where it runs), plugins.json and plugins/<Name>/ beside it.
#   scripts/publish.sh [linux-x64] [linux-arm64] [osx-arm64] [win-x64]
# libtorch is left out (the torchsharp plugin finds it through IPW_LIBTORCH_DIR); llamasharp's natives are the
# runtime's own (LLamaSharp.Backend.Cpu ships linux-x64, linux-arm64, osx-arm64 and win-x64).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=("$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')")
for rid in "${rids[@]}"; do
  case "$rid" in linux-x64|linux-arm64|osx-arm64|osx-x64|win-x64|win-arm64) ;; *) echo "publish.sh: unknown runtime '$rid'" >&2; exit 2 ;; esac
  out="artifacts/publish/$rid"
  rm -rf "$out"
  # The host as one file; its assemblies are extracted beside it on first run (the C# script engine compiles
  # against them, so they must be files). IpwDeployPlugin=false and a bin/obj folder per runtime: nothing of this
  # runtime lands in artifacts/Release or in the folders the ordinary build uses.
  dotnet publish src/Ipw.Cli -c Release -r "$rid" --self-contained -nologo -v quiet "-clp:ErrorsOnly;NoSummary" \
    -p:PublishSingleFile=true -p:IncludeAllContentForSelfExtract=true -p:PackAsTool=false -p:IpwDeployPlugin=false \
    -p:AppendRuntimeIdentifierToOutputPath=true -o "$out"
  for project in plugins/*/*.csproj; do
    name="$(basename "$project" .csproj)"
    dotnet publish "$project" -c Release -r "$rid" --self-contained false -nologo -v quiet "-clp:ErrorsOnly;NoSummary" \
      -p:IpwDeployPlugin=false -p:IpwLibTorch= -p:AppendRuntimeIdentifierToOutputPath=true -o "$out/plugins/$name"
  done
  rm -f "$out"/*.pdb "$out"/plugins/*/*.pdb
  echo "$out/$( [ "${rid%%-*}" = win ] && echo ipw.exe || echo ipw )"
done
