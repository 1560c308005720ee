// Part B of the cast oracle pair grid.
#include "cast_oracle.h"
#define CODESIGN_CAST_PART CODESIGN_CAST_PAIRS_B
#include "cast_impl.h"
