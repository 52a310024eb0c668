/* End of a packed lwIP protocol header. */
#pragma pack(pop)
