#include <stb_image.h>
#include <stb_image_resize.h>
