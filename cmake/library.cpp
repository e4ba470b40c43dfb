// liblethe.so's own translation unit: the library is the modules' objects (linked whole); this
// file checks that the public umbrella header compiles on its own.
#include "lethe/lethe.h"
