#!/usr/bin/env bash
# Downloads and unpacks Pascal VOC for users with internet (nothing in the tests needs it):
# VOC2007 trainval and test, VOC2012 trainval, into data/VOCdevkit/ (about 3.6 GB of downloads).
#   scripts/get-voc.sh [target folder=data]
# Then check what arrived: every listed image has its annotation and its JPEG.
set -euo pipefail
target=${1:-data}
mkdir -p "$target"
cd "$target"
base=http://host.robots.ox.ac.uk/pascal/VOC
files=("voc2007/VOCtrainval_06-Nov-2007.tar" "voc2007/VOCtest_06-Nov-2007.tar" "voc2012/VOCtrainval_11-May-2012.tar")
for f in "${files[@]}"; do
  name=$(basename "$f")
  if [[ ! -f "$name.done" ]]; then
    echo "get-voc: downloading $name"
    curl -fL --retry 3 -C - -o "$name" "$base/$f" || wget -c -O "$name" "$base/$f"
    tar -xf "$name"
    touch "$name.done"
    rm -f "$name"
  fi
done

check() {  # folder split expected-count
  local dir=VOCdevkit/$1 list=VOCdevkit/$1/ImageSets/Main/$2.txt n=0 missing=0
  [[ -f $list ]] || { echo "get-voc: $list is missing"; return 1; }
  while read -r id; do
    n=$((n + 1))
    [[ -f $dir/Annotations/$id.xml && -f $dir/JPEGImages/$id.jpg ]] || missing=$((missing + 1))
  done < "$list"
  echo "get-voc: $1 $2: $n images ($3 expected), $missing missing"
  [[ $n -eq $3 && $missing -eq 0 ]]
}
check VOC2007 trainval 5011 && check VOC2007 test 4952 && check VOC2012 trainval 11540
echo "get-voc: done: $(pwd)/VOCdevkit"
