// Part C of the cast oracle pair grid.
#include "cast_oracle.h"
#define CODESIGN_CAST_PART CODESIGN_CAST_PAIRS_C
#include "cast_impl.h"
