// First half of the oracle grid.
#include "oracle.h"
#define CODESIGN_ORACLE_HALF CODESIGN_ORACLE_GRID_A
#include "quantize_impl.h"
