# rcnn.cpp — one Makefile for the library, the tests, the tutorials and the tools.
#   make              library and programs for the CPU
#   make CUDA=1       also the CUDA kernels (nvcc for sm_80 and sm_90; cuBLAS and cuDNN)
#   make test         build and run the test suite
#   make demo         the main job: generate `shapes`, train the detector on the CPU, draw, evaluate
#   make demo-fashion the same on fashion-scenes (Fashion-MNIST items, 10 classes)
#   make demo-real    fine-tune ImageNet MobileNetV2 on real photographs (../shared/data/fruit)
#   make tutorials    run the numbered chapters in order (make chapters only builds them)
#   make bench        conv2d, GEMM, detection blocks and the detector beside PyTorch's / torchvision's
#   make deps         install the Debian packages the build needs (called by test and demo)
#   DEBUG=1           -O0 -g          SANITIZE=1    AddressSanitizer + UndefinedBehaviorSanitizer
#   MPI=0             without MPI even where OpenMPI is installed (one process only)
# Each configuration builds into its own folder under build/, so switching never mixes objects.

ifeq ($(MAKELEVEL),0)
  MAKEFLAGS += -j$(shell nproc)
endif
CUDA ?= 0
DEBUG ?= 0
SANITIZE ?= 0
CUDA_HOME ?= /usr/local/cuda
NVCC ?= $(CUDA_HOME)/bin/nvcc

CONFIG := cpu
CXXFLAGS := -std=c++17 -Wall -Wextra -fopenmp -I. -MMD -MP
# OpenBLAS (float64 GEMM only) from Debian's OpenMP build, named by path so that the system's BLAS
# alternative stays as it is: one OpenMP thread pool for everything (core/threads.h).
OPENBLAS_OPENMP := /usr/lib/x86_64-linux-gnu/openblas-openmp
LDLIBS := -Wl,--undefined=rcnn_preinit_openmp -fopenmp -L$(OPENBLAS_OPENMP) -Wl,-rpath,$(OPENBLAS_OPENMP) -lopenblas \
  -ldnnl -lstb -lpugixml -lyaml-cpp -lz -lpthread
ifeq ($(DEBUG),1)
  CXXFLAGS += -O0 -g
  CONFIG := $(CONFIG)-debug
else
  CXXFLAGS += -O3 -DNDEBUG
endif
ifeq ($(SANITIZE),1)
  CXXFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -g
  LDLIBS += -fsanitize=address,undefined
  CONFIG := $(CONFIG)-sanitize
endif

CORE_SRC := $(wildcard core/*.cpp core/kernels/*.cpp autograd/*.cpp ops/*.cpp layers/*.cpp models/*.cpp datasets/*.cpp \
  detection/*.cpp detection/kernels/*.cpp distributed/*.cpp)
# MPI (Debian's OpenMPI, installed by scripts/deps.sh): `mpirun -np N rcnn train` then trains
# data-parallel. MPI=0 builds a one-process world (distributed/world.h) into its own folder. Never
# decided from what the machine holds: this file is read before `make deps` has installed anything.
MPI ?= 1
# Flags of Debian packages, asked of pkg-config once, the first time a recipe needs them: never while
# this file is read (before `make deps` has installed anything), and a package it cannot find stops the
# build with its name instead of building without it. $(call pkg_config,VARIABLE,ARGUMENTS)
pkg_config = $(eval $(1) := $(shell pkg-config $(2) || echo pkg-config-failed))$(if $(filter pkg-config-failed,$($(1))),$(error pkg-config $(2) found nothing: `make deps` installs the packages))$($(1))
# `rcnn serve` (serve/: Boost.Beast for HTTP, GMime for multipart forms, uriparser for queries) is
# linked into the command and the tests, never into the library; the tests' HTTP client is cpp-httplib's.
SERVE_CFLAGS = $(call pkg_config,SERVE_CFLAGS,--cflags gmime-3.0 liburiparser)
SERVE_LIBS = $(call pkg_config,SERVE_LIBS,--libs gmime-3.0 liburiparser)
# `rcnn export` (export/: ONNX through Debian's libonnx, the ONNX project's own protobuf classes,
# checker and shape inference) is linked into the command and the tests, never into the library.
EXPORT_CFLAGS = -DONNX_NAMESPACE=onnx -DONNX_ML=1 $(call pkg_config,PROTOBUF_CFLAGS,--cflags protobuf)
EXPORT_LIBS = -lonnx -lonnx_proto $(call pkg_config,PROTOBUF_LIBS,--libs protobuf)
HTTP_CFLAGS = $(call pkg_config,HTTP_CFLAGS,--cflags cpp-httplib)
HTTP_LIBS = $(call pkg_config,HTTP_LIBS,--libs cpp-httplib)
ifeq ($(MPI),1)
  CXXFLAGS += -DRCNN_MPI -DOMPI_SKIP_MPICXX
  MPI_CFLAGS = $(call pkg_config,MPI_CFLAGS,--cflags ompi-c)
  MPI_LIBS = $(call pkg_config,MPI_LIBS,--libs ompi-c)
else
  CORE_SRC := $(filter-out distributed/mpi_world.cpp,$(CORE_SRC))
  CONFIG := $(CONFIG)-nompi
endif
ifeq ($(CUDA),1)
  CONFIG := cuda$(patsubst cpu%,%,$(CONFIG))
  CUDA_SRC := $(wildcard cuda/*.cu detection/kernels/*.cu)
  CORE_SRC := $(filter-out detection/kernels/cuda_stubs.cpp,$(CORE_SRC))
  CXXFLAGS += -DRCNN_CUDA -I$(CUDA_HOME)/include
  NVCCFLAGS := -std=c++17 -O3 -I. -I$(CUDA_HOME)/include -MMD -MP --expt-relaxed-constexpr \
    -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
    -Xcompiler -Wall,-Wextra,-fopenmp
  LDLIBS += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudart -lcublas -lcudnn
else
  CORE_SRC += cuda/stubs.cpp  # detection/kernels/cuda_stubs.cpp comes with its folder
endif

BUILD := build/$(CONFIG)
$(BUILD)/serve/%.o: EXTRA_CFLAGS = $(SERVE_CFLAGS)
$(BUILD)/export/%.o: EXTRA_CFLAGS = $(EXPORT_CFLAGS)
# Every file that includes httplib.h must see the defines its library was built with (SSL members change
# httplib::Client's layout): all the tests.
$(BUILD)/tests/%.o: EXTRA_CFLAGS = $(HTTP_CFLAGS)
LIB := $(BUILD)/librcnn.a
SERVE_OBJ := $(patsubst %.cpp,$(BUILD)/%.o,$(wildcard serve/*.cpp))
EXPORT_OBJ := $(patsubst %.cpp,$(BUILD)/%.o,$(wildcard export/*.cpp))
# A kernel's CPU file and CUDA twin share a name (nms.cpp, nms.cu): CUDA objects end in .cu.o.
LIB_OBJ := $(CORE_SRC:%.cpp=$(BUILD)/%.o) $(CUDA_SRC:%.cu=$(BUILD)/%.cu.o)
TEST_SRC := $(wildcard tests/*.cpp)
TEST_BIN := $(BUILD)/tests/run_tests
TUTORIALS := $(sort $(notdir $(wildcard tutorials/[0-9]*)))
TUTORIAL_BINS := $(TUTORIALS:%=$(BUILD)/bin/%)
# The chapters' objects, made through a pattern rule, are kept between builds. Only they: an empty
# .SECONDARY would make every target secondary, and a source file new to the library would then not be
# compiled into an archive that is otherwise up to date.
.SECONDARY: $(TUTORIALS:%=$(BUILD)/tutorials/%/main.o)
BENCH_BINS := $(patsubst bench/%.cpp,$(BUILD)/bin/%,$(wildcard bench/*.cpp))
TOOL_BINS := $(BUILD)/bin/rcnn
RCNN_OBJ := $(patsubst %.cpp,$(BUILD)/%.o,$(wildcard tools/rcnn/*.cpp))  # one file per subcommand
EXERCISE_BINS := $(patsubst exercises/%.cpp,$(BUILD)/bin/exercise_%,$(wildcard exercises/*.cpp))

.PHONY: all lib tests chapters tutorials benchmarks tools exercises test demo demo-fashion demo-real bench fuzz deps reference clean
all: lib tests chapters benchmarks tools exercises
lib: $(LIB)
tests: $(TEST_BIN)
chapters: $(TUTORIAL_BINS)
benchmarks: $(BENCH_BINS)
tools: $(TOOL_BINS)
exercises: $(EXERCISE_BINS)  # the student's own programs (exercises/README.md)

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(MPI_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@
$(BUILD)/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@

# Rebuilt whole, and whenever the Makefile changes: members are stored by path (rcsP), and an archive
# left by an older rule could hold the same objects under their bare names.
$(LIB): $(LIB_OBJ) Makefile
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcsP $@ $(filter %.o,$^)

$(TEST_BIN): $(TEST_SRC:%.cpp=$(BUILD)/%.o) $(SERVE_OBJ) $(EXPORT_OBJ) $(LIB)
	$(CXX) $^ -o $@ $(LDLIBS) $(MPI_LIBS) $(SERVE_LIBS) $(EXPORT_LIBS) $(HTTP_LIBS)

$(BUILD)/bin/rcnn: $(RCNN_OBJ) $(SERVE_OBJ) $(EXPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDLIBS) $(MPI_LIBS) $(SERVE_LIBS) $(EXPORT_LIBS)

$(BUILD)/bin/exercise_%: $(BUILD)/exercises/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

$(BUILD)/bin/bench_%: $(BUILD)/bench/bench_%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

$(BUILD)/bin/%: $(BUILD)/tutorials/%/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDLIBS) $(MPI_LIBS)

# Runs every test case; doctest's summary is the last line and the exit code is non-zero on failure.
test: deps
	@$(MAKE) --no-print-directory tests chapters tools
	$(TEST_BIN)

# The detector, end to end on the CPU (README): a data set generated in VOC layout (again where the
# folder holds another number of images, as an older demo's may), training (resumed
# where an earlier run stopped), drawn detections on test images, and the VOC evaluation, whose last
# line is `mAP@0.5: ...`. $(call run_demo,DATA SET,CONFIG,IMAGES).
define run_demo
	+@$(MAKE) --no-print-directory tools
	@n=$$(cat data/$(1)/ImageSets/Main/trainval.txt data/$(1)/ImageSets/Main/test.txt 2>/dev/null | wc -l); \
	if [ "$$n" != $(3) ]; then \
	  if [ "$$n" != 0 ]; then echo "data/$(1) holds $$n images, this demo's $(3) are generated in their place"; fi; \
	  rm -rf data/$(1) && $(BUILD)/bin/rcnn data $(1) --out data/$(1) --images $(3); \
	fi
	$(BUILD)/bin/rcnn train --config configs/$(2).yaml --data data/$(1) --out runs/$(2) $$(test -f runs/$(2)/checkpoint.safetensors && echo --resume)
	$(BUILD)/bin/rcnn predict --checkpoint runs/$(2) --out runs/$(2)/predictions \
	  $$(head -8 data/$(1)/ImageSets/Main/test.txt | sed 's|.*|data/$(1)/JPEGImages/&.jpg|') > /dev/null
	@echo "drawn detections: runs/$(2)/predictions/; loss curve: runs/$(2)/losses.png"
	$(BUILD)/bin/rcnn eval --checkpoint runs/$(2) --data data/$(1) --split test --metric area
	@echo "try it in a browser: $(BUILD)/bin/rcnn serve --checkpoint runs/$(2)   (then open http://127.0.0.1:5000/)"
endef
demo: deps
	$(call run_demo,shapes,shapes_tiny,1000)
# fashion-scenes' detector starts from a TinyNet pretrained on Fashion-MNIST items (configs/fashion_tiny.yaml
# names the file), as the paper's starts from an ImageNet classifier, and reads it through a feature
# pyramid (configs/fashion_tiny_fpn.yaml; the single map: configs/fashion_tiny.yaml). Ends with COCO's
# AP by object size too.
FASHION_BACKBONE := runs/fashion_tiny_backbone.safetensors
demo-fashion: deps
	+@$(MAKE) --no-print-directory tools
	@test -f $(FASHION_BACKBONE) || $(BUILD)/bin/rcnn pretrain --config configs/fashion_tiny.yaml --out $(FASHION_BACKBONE)
	$(call run_demo,fashion-scenes,fashion_tiny_fpn,10000)
	$(BUILD)/bin/rcnn eval --checkpoint runs/fashion_tiny_fpn --data data/fashion-scenes --split test --metric coco | grep "area="

# Fine-tuning an ImageNet MobileNetV2 on real photographs (../shared/data/fruit, or FRUIT=DIR: a
# VOC-layout folder with apple, banana and orange; README), side by side with
# ../shared/peers/tv_mobilenet_voc.py; ends with the test split's mAP (area metric).
FRUIT ?= ../shared/data/fruit/VOCdevkit/VOC2007
demo-real: deps
	+@$(MAKE) --no-print-directory tools
	@test -d $(FRUIT) || { echo "demo-real: no data set at $(FRUIT) (README: Real photographs)"; exit 1; }
	@test -f ../shared/weights/mobilenet_v2_imagenet.safetensors || { echo "demo-real: no MobileNetV2 weights in ../shared/weights (README)"; exit 1; }
	$(BUILD)/bin/rcnn train --config configs/fruit_mobilenet_v2.yaml --data $(FRUIT) --out runs/fruit_mobilenet_v2 $$(test -f runs/fruit_mobilenet_v2/checkpoint.safetensors && echo --resume)
	$(BUILD)/bin/rcnn predict --checkpoint runs/fruit_mobilenet_v2 --out runs/fruit_mobilenet_v2/predictions --threshold 0.7 \
	  $$(head -3 $(FRUIT)/ImageSets/Main/test.txt | sed 's|.*|$(FRUIT)/JPEGImages/&.jpg|') > /dev/null
	$(BUILD)/bin/rcnn eval --checkpoint runs/fruit_mobilenet_v2 --data $(FRUIT) --split test --metric area

tutorials: deps
	@$(MAKE) --no-print-directory chapters
	@scripts/get-sample-image.sh data/chelsea.png
	@for t in $(TUTORIALS); do echo "=== tutorials/$$t ==="; $(BUILD)/bin/$$t || exit 1; done

# Times our convolutions and GEMMs with PyTorch's (the peer) in the same run, 2 threads each, then
# chapter 04's training step quiet and beside two busy processes, then the detection blocks beside
# torchvision's (bench/peer_detection.py), then the whole detector beside torchvision's FasterRCNN
# with the same TinyNet and with VGG16 (bench/peer_detector.py; configs/tv_tiny_peer.yaml and
# tv_vgg16_peer.yaml), and training on 1 process against 2 (mpirun) on this machine's cores (bench/scaling.py).
bench: deps
	@$(MAKE) --no-print-directory benchmarks
	@scripts/deps.sh --reference
	@mkdir -p $(BUILD)/bench
	@echo "peer: PyTorch (bench/peer_conv.py, 2 threads)"
	/usr/bin/python3 bench/peer_conv.py --threads 2 --reps 10 --json-out $(BUILD)/bench/peer_conv.json > $(BUILD)/bench/peer_conv.log
	$(BUILD)/bin/bench_conv --threads 2 --reps 10 --peer $(BUILD)/bench/peer_conv.json --out bench/results.json
	$(BUILD)/bin/bench_train --threads 2 --busy 2 --out bench/results_train.json
	/usr/bin/python3 bench/peer_detection.py --threads 2 --json-out $(BUILD)/bench/peer_detection.json > /dev/null
	$(BUILD)/bin/bench_detection --threads 2 --peer $(BUILD)/bench/peer_detection.json --out bench/results_detection.json
	/usr/bin/python3 bench/peer_detector.py --threads 2 --json-out $(BUILD)/bench/peer_tiny_frcnn.json
	$(BUILD)/bin/bench_detector --threads 2 --peer $(BUILD)/bench/peer_tiny_frcnn.json --out bench/results_detector.json
	/usr/bin/python3 bench/peer_detector.py --backbone vgg16 --warmup 1 --steps 5 --threads 2 --json-out $(BUILD)/bench/peer_vgg16_frcnn.json
	$(BUILD)/bin/bench_detector --config configs/tv_vgg16_peer.yaml --classes 20 --warmup 1 --steps 5 --threads 2 \
	  --peer $(BUILD)/bench/peer_vgg16_frcnn.json --out bench/results_detector_vgg16.json
	/usr/bin/python3 bench/peer_detector.py --backbone resnet50_fpn --warmup 1 --steps 3 --threads 2 --json-out $(BUILD)/bench/peer_r50_fpn.json
	$(BUILD)/bin/bench_detector --config configs/voc07_resnet50_fpn.yaml --set backbone.weights= --set input.longer_side=800 \
	  --set train.lr=0.001 --classes 20 --warmup 1 --steps 3 --threads 2 --peer $(BUILD)/bench/peer_r50_fpn.json --out bench/results_detector_r50_fpn.json
	@$(MAKE) --no-print-directory tools
	/usr/bin/python3 bench/scaling.py --rcnn $(BUILD)/bin/rcnn --out bench/results_scaling.json
	/usr/bin/python3 bench/coco_eval_speed.py --rcnn $(BUILD)/bin/rcnn --out bench/results_coco_eval.json
	/usr/bin/python3 bench/serve_load.py --rcnn $(BUILD)/bin/rcnn --out bench/results_serve.json
	@scripts/deps.sh --onnxruntime
	/usr/bin/python3 bench/onnx_speed.py --rcnn $(BUILD)/bin/rcnn --bench $(BUILD)/bin/bench_predict --out bench/results_onnx.json

# libFuzzer targets for the VOC and COCO readers and the image decoder (fuzz/README.md).
FUZZ_SECONDS ?= 120
FUZZ_FLAGS := -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -I.
build/fuzz/voc_annotation_fuzzer: fuzz/voc_annotation_fuzzer.cpp datasets/voc.cpp
	@mkdir -p $(dir $@)
	clang++ $(FUZZ_FLAGS) $^ -o $@ -lpugixml
build/fuzz/coco_annotation_fuzzer: fuzz/coco_annotation_fuzzer.cpp datasets/coco.cpp datasets/coco.h datasets/json_fields.h
	@mkdir -p $(dir $@)
	clang++ $(FUZZ_FLAGS) $(filter %.cpp,$^) -o $@
build/fuzz/image_fuzzer: fuzz/image_fuzzer.cpp datasets/image.cpp fuzz/stb_instrumented.cpp
	@mkdir -p $(dir $@)
	clang++ $(FUZZ_FLAGS) $(filter %.cpp,$^) -o $@
fuzz: deps build/fuzz/voc_annotation_fuzzer build/fuzz/coco_annotation_fuzzer build/fuzz/image_fuzzer tools
	@mkdir -p build/fuzz/corpus-voc build/fuzz/corpus-coco build/fuzz/corpus-image
	@$(BUILD)/bin/rcnn data shapes --out build/fuzz/seed-shapes --images 3 --size 64 > /dev/null
	@cp build/fuzz/seed-shapes/JPEGImages/*.jpg build/fuzz/corpus-image/
	cd build/fuzz && ./voc_annotation_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 corpus-voc ../../fuzz/corpus/voc
	cd build/fuzz && ./coco_annotation_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -dict=../../fuzz/coco.dict corpus-coco ../../fuzz/corpus/coco
	cd build/fuzz && ./image_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 corpus-image

deps:
	@scripts/deps.sh

# Regenerates the reference fixtures under tests/reference/ (needs python3-torch): the C++ tests write
# their side of the safetensors round trip first, then PyTorch writes and checks; then voc_eval.py's
# APs and torchvision's detection answers; then MobileNetV2's logits on the photographs in ../shared
# (the test writes them preprocessed; it fails that first time, the fixture not being there yet).
reference:
	@scripts/deps.sh --reference
	@$(MAKE) --no-print-directory tests
	RCNN_WRITE_FIXTURES=1 $(TEST_BIN) -tc="safetensors: rcnn.cpp writes*" > /dev/null
	/usr/bin/python3 tests/reference/make_reference.py
	/usr/bin/python3 tests/reference/make_voc_reference.py
	/usr/bin/python3 tests/reference/make_detection_reference.py
	/usr/bin/python3 tests/reference/make_coco_reference.py
	RCNN_WRITE_FIXTURES=1 $(TEST_BIN) -tc="MobileNetV2*" > /dev/null || true
	/usr/bin/python3 tests/reference/make_backbone_reference.py
	/usr/bin/python3 tests/reference/make_fpn_reference.py

clean:
	rm -rf build

-include $(shell find $(BUILD) -name "*.d" 2>/dev/null)
