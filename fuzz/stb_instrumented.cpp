// Compiles Debian's stb_image / stb_image_write implementations (from libstb-dev's headers) into the
// image fuzzer, so libFuzzer sees coverage inside the decoder instead of a black-box libstb.so.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
