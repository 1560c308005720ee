// codesign/codesign.h -- the whole kernel library in one include.
#ifndef CODESIGN_CODESIGN_H
#define CODESIGN_CODESIGN_H

#include "codesign/batchnorm.h"
#include "codesign/binary.h"
#include "codesign/common.h"
#include "codesign/conv2d.h"
#include "codesign/dense.h"
#include "codesign/eltwise.h"
#include "codesign/khot.h"
#include "codesign/pool.h"
#include "codesign/reshape.h"
#include "codesign/stream.h"
#include "codesign/window.h"

#endif  // CODESIGN_CODESIGN_H
