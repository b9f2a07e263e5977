#pragma once
// Every primitive op, for code that uses many of them.
#include "autograd/grad_mode.h"
#include "core/tensor.h"
#include "cuda/runtime.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/shape.h"
#include "ops/sort.h"
