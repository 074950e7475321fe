/* Regenerates testdata/NAME.lzma16.IN.OUT.ctrace with the LZMA SDK's own decoder:
 *   C=$SDK/src/open_source/7-zip-lzma-sdk/lzma_22.00/C
 *   gcc -O2 -I$C lzmadec_harness.c $C/LzmaDec.c -o harness
 *   ./harness NAME.lzma16 IN OUT > NAME.lzma16.IN.OUT.ctrace
 * (see ctrace_test.go). Not built by go test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "LzmaDec.h"
static void *a(ISzAllocPtr p, size_t s){(void)p;return malloc(s);}
static void f(ISzAllocPtr p, void *q){(void)p;free(q);}
static const ISzAlloc al={a,f};
/* usage: harness FILE INSTEP OUTBUF : FILE is the 16-byte package header + stream + pad */
int main(int argc,char**argv){
  FILE*fp=fopen(argv[1],"rb"); fseek(fp,0,SEEK_END); long n=ftell(fp); fseek(fp,0,SEEK_SET);
  unsigned char*b=malloc(n); fread(b,1,n,fp); fclose(fp);
  size_t IN=atoi(argv[2]), OUT=atoi(argv[3]);
  CLzmaDec p; LzmaDec_Construct(&p);
  int r=LzmaDec_AllocateProbs(&p,b,5,&al); if(r){printf("alloc %d\n",r);return 0;}
  unsigned size=0; for(int i=0;i<11;i++) size += (unsigned)b[5+i] << ((i*8)&31);
  unsigned dic = p.prop.dicSize <= size ? p.prop.dicSize : size;
  p.dic=malloc(dic); p.dicBufSize=dic; LzmaDec_Init(&p);
  unsigned char*out=malloc(OUT*2); size_t wpos=0; unsigned long total=0;
  long comp=n-16, inoff=16; unsigned remain=size;
  while(comp>0){
    size_t insz = comp>(long)IN?IN:comp; memcpy(b+0,b+0,0);
    unsigned char*in=b+inoff; inoff+=insz; comp-=insz;
    size_t pos=0;
    while(pos<insz){
      SizeT inp=insz-pos, outp=OUT; ELzmaFinishMode m=LZMA_FINISH_ANY; ELzmaStatus st;
      if(remain<OUT){outp=remain;m=LZMA_FINISH_END;}
      SRes res=LzmaDec_DecodeToBuf(&p,out+wpos,&outp,in+pos,&inp,m,&st);
      printf("call in=%zu out=%zu status=%d res=%d\n",(size_t)inp,(size_t)outp,(int)st,res);
      if(res){printf("end res=%d total=%lu\n",res,total);return 0;}
      pos+=inp; remain-=outp; wpos+=outp; total+=outp;
      if(OUT-wpos<IN || remain==0 || pos==insz){ printf("flush %zu\n",wpos); wpos=0; }
      if(remain==0){printf("end ok total=%lu\n",total);return 0;}
      if(inp==0&&outp==0){ printf("end stall status=%d total=%lu\n",(int)st,total); return 0;}
    }
  }
  printf("end input total=%lu\n",total); return 0;
}
