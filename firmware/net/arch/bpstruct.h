/* Start of a packed lwIP protocol header (see cc.h: PACK_STRUCT_USE_INCLUDES). */
#pragma pack(push, 1)
