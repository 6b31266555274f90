#!/usr/bin/env bash
# cil serve, walked through with curl on Fashion-MNIST (the README's "Serving" section runs this).
#   examples/serve-walkthrough.sh            # a fresh home folder under /tmp, port 8080
#   PORT=9000 examples/serve-walkthrough.sh
# Needs curl and jq, and Fashion-MNIST (Debian: apt-get install dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
home=$(mktemp -d /tmp/cil-serve-XXXX)
api=http://localhost:$port

# 1. images to upload: 300 PNGs per class, four classes
./cil data export fashion-mnist --out "$home/images" --per-class 300 --classes T-shirt/top,Trouser,Pullover,Dress >/dev/null
./cil data export fashion-mnist --split test --out "$home/test" --per-class 20 --classes Trouser,Dress >/dev/null

# 2. start the service; it prints the admin token once
./cil serve --home "$home/service" --port "$port" > "$home/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
until curl -sf "$api/health" >/dev/null; do sleep 0.5; done
TOKEN=$(sed -n 's/^admin token (shown once, keep it): //p' "$home/serve.log")
auth=(-H "Authorization: Bearer $TOKEN")

# 3. a LUCIR classifier on 28x28 grayscale images, 200 kept samples' worth of storage
curl -sf "${auth[@]}" -H 'Content-Type: application/json' "$api/v1/classifiers" -d '{
  "name": "fashion", "preset": "fmnist", "method": {"name": "lucir"},
  "train": {"epochs": 4, "batchSize": 32, "lr": 0.02},
  "storageBudgetBytes": 156800, "gate": {"maxOldAccuracyDrop": 15}}' | jq -c '{name, spec: .spec.method}'

upload() { # upload every image of a class folder, one request per image, from user-0..user-9
  local i=0
  for f in "$home/images/$1"/*.png; do
    curl -sf "${auth[@]}" -H 'Content-Type: image/png' --data-binary "@$f" \
      "$api/v1/classifiers/fashion/samples?label=$2&source=user-$((i++ % 10))" >/dev/null
  done
}
phase() { # start a phase and wait for its version
  local job
  job=$(curl -sf "${auth[@]}" -X POST "$api/v1/classifiers/fashion/phases" | jq -r .id)
  while [ "$(curl -sf "${auth[@]}" "$api/v1/jobs/$job" | jq -r .state)" = running ] \
     || [ "$(curl -sf "${auth[@]}" "$api/v1/jobs/$job" | jq -r .state)" = queued ]; do sleep 1; done
  curl -sf "${auth[@]}" "$api/v1/jobs/$job" | jq -c '{state, version}'
}

# 4-5. two phases: T-shirts and trousers, then pullovers and dresses
upload T-shirt_top T-shirt/top; upload Trouser Trouser; phase
upload Pullover Pullover; upload Dress Dress; phase
curl -sf "${auth[@]}" "$api/v1/classifiers/fashion/versions" \
  | jq -c '.versions[] | {version, active, classes, accuracy: .metrics.accuracy, gate: .metrics.gate.reason}'

# 6. predict a test image
curl -sf "${auth[@]}" -H 'Content-Type: image/png' --data-binary "@$home/test/Dress/00000.png" \
  "$api/v1/classifiers/fashion/predict?topK=2" | jq -c .

# 7. what is kept after the phases, against the budget
curl -sf "${auth[@]}" "$api/v1/classifiers/fashion/storage" \
  | jq -c '{budgetBytes, keptBytes, withinBudget, modelBytes, classes: [.classes[] | {class, keptSamples, validationSamples}]}'

# 8. erase everything user-3 uploaded, with a receipt; then the audit log
curl -sf "${auth[@]}" -X DELETE "$api/v1/classifiers/fashion/samples?source=user-3" | jq -c .
curl -sf "${auth[@]}" "$api/v1/audit?limit=3" | jq -c '.entries[] | {at, action, count}'

# roll back to version 1, and see who answers
curl -sf "${auth[@]}" -X POST "$api/v1/classifiers/fashion/versions/1/activate" | jq -c '{activeVersion}'
curl -sf "${auth[@]}" -H 'Content-Type: image/png' --data-binary "@$home/test/Trouser/00000.png" \
  "$api/v1/classifiers/fashion/predict?topK=1" | jq -c .
echo "home folder: $home (the operators' page was at $api/)"
