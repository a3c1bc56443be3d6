#include "resp.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
static int ensure(struct resp_command *c, int n){ if (n > c->argv_cap){ c->argv_cap = n*2; c->argv = realloc(c->argv, sizeof(struct arg)*c->argv_cap);} return 0;}
static int parse_ll(const char *p, const char *e, long long *v){ if(p==e) return 0; int neg=0; if(*p=='-'){neg=1;p++;} long long x=0; if(p==e) return 0; for(;p<e;p++){ if(*p<'0'||*p>'9') return 0; x=x*10+(*p-'0');} *v=neg?-x:x; return 1;}
enum resp_parse_result resp_parse_command(const char *d, size_t len, const struct resp_limits *lim, struct resp_command *cmd, size_t *consumed, size_t *needed, char *err, size_t errlen){
  if(needed)*needed=0;
  if(len==0) return RESP_PARSE_INCOMPLETE;
  if(d[0]!='*'){ const char *nl=memchr(d,'\n',len); if(!nl) return RESP_PARSE_INCOMPLETE; const char *e=nl; if(e>d&&e[-1]=='\r') e--; int n=0; const char *p=d; cmd->argc=0; while(p<e){ while(p<e&&(*p==' '||*p=='\t'))p++; if(p>=e)break; const char *s=p; while(p<e&&*p!=' '&&*p!='\t')p++; ensure(cmd,n+1); cmd->argv[n].ptr=s; cmd->argv[n].len=p-s; n++;} cmd->argc=n; *consumed=nl-d+1; return n?RESP_PARSE_OK:RESP_PARSE_EMPTY;}
  const char *nl=memchr(d,'\r',len); if(!nl||nl+1>=d+len) return RESP_PARSE_INCOMPLETE; long long n; if(!parse_ll(d+1,nl,&n)||n>lim->max_multibulk){snprintf(err,errlen,"Protocol error: invalid multibulk length");return RESP_PARSE_ERROR;}
  const char *p=nl+2; if(n<=0){*consumed=p-d; return RESP_PARSE_EMPTY;}
  ensure(cmd,(int)n); for(long long i=0;i<n;i++){ if(p>=d+len) return RESP_PARSE_INCOMPLETE; if(*p!='$'){snprintf(err,errlen,"Protocol error: expected '$', got '%c'",*p);return RESP_PARSE_ERROR;} const char *q=memchr(p,'\r',d+len-p); if(!q||q+1>=d+len) return RESP_PARSE_INCOMPLETE; long long bl; if(!parse_ll(p+1,q,&bl)||bl<0||bl>lim->max_bulk_len){snprintf(err,errlen,"Protocol error: invalid bulk length");return RESP_PARSE_ERROR;} p=q+2; if((size_t)(d+len-p)<(size_t)bl+2){ if(needed)*needed=(p-d)+bl+2; return RESP_PARSE_INCOMPLETE;} cmd->argv[i].ptr=p; cmd->argv[i].len=bl; p+=bl+2;}
  cmd->argc=(int)n; *consumed=p-d; return RESP_PARSE_OK;}
void resp_command_free(struct resp_command *c){free(c->argv);c->argv=NULL;c->argv_cap=0;}
static void hdr(struct buf *b,char t,long long n){char tmp[32];int k=snprintf(tmp,32,"%c%lld\r\n",t,n);buf_append(b,tmp,k);}
void reply_simple(struct buf *b,const char *s){buf_append_byte(b,'+');buf_append_str(b,s);buf_append(b,"\r\n",2);}
void reply_simple_len(struct buf *b,const char *s,size_t l){buf_append_byte(b,'+');buf_append(b,s,l);buf_append(b,"\r\n",2);}
void reply_ok(struct buf *b){buf_append(b,"+OK\r\n",5);}
void reply_error(struct buf *b,const char *m){buf_append_byte(b,'-');size_t s=b->len;buf_append_str(b,m);for(size_t i=s;i<b->len;i++)if(b->data[i]=='\r'||b->data[i]=='\n')b->data[i]=' ';buf_append(b,"\r\n",2);}
void reply_errorf(struct buf *b,const char *f,...){char t[1024];va_list ap;va_start(ap,f);vsnprintf(t,sizeof t,f,ap);va_end(ap);reply_error(b,t);}
void reply_integer(struct buf *b,long long v){hdr(b,':',v);}
void reply_bulk(struct buf *b,const void *p,size_t l){hdr(b,'$',(long long)l);buf_append(b,p,l);buf_append(b,"\r\n",2);}
void reply_bulk_cstr(struct buf *b,const char *s){reply_bulk(b,s,strlen(s));}
void reply_bulk_ll(struct buf *b,long long v){char t[32];int k=snprintf(t,32,"%lld",v);reply_bulk(b,t,k);}
void reply_null(struct buf *b,int r){if(r==3)buf_append(b,"_\r\n",3);else buf_append(b,"$-1\r\n",5);}
void reply_null_array(struct buf *b,int r){if(r==3)buf_append(b,"_\r\n",3);else buf_append(b,"*-1\r\n",5);}
void reply_array(struct buf *b,long long n){hdr(b,'*',n);}
void reply_map(struct buf *b,int r,long long n){if(r==3)hdr(b,'%',n);else hdr(b,'*',2*n);}
void reply_set(struct buf *b,int r,long long n){hdr(b,r==3?'~':'*',n);}
void reply_push(struct buf *b,int r,long long n){hdr(b,r==3?'>':'*',n);}
void reply_bool(struct buf *b,int r,int v){if(r==3)buf_append(b,v?"#t\r\n":"#f\r\n",4);else reply_integer(b,v?1:0);}
void reply_double(struct buf *b,int r,double d){char t[64];int k; if(isinf(d))k=snprintf(t,64,d>0?"inf":"-inf");else if(isnan(d))k=snprintf(t,64,"nan");else k=snprintf(t,64,"%.17g",d); if(r==3){buf_append_byte(b,',');buf_append(b,t,k);buf_append(b,"\r\n",2);}else reply_bulk(b,t,k);}
void reply_verbatim(struct buf *b,int r,const char *p,size_t l,const char *e){if(r==3){hdr(b,'=',(long long)l+4);buf_append(b,e,3);buf_append_byte(b,':');buf_append(b,p,l);buf_append(b,"\r\n",2);}else reply_bulk(b,p,l);}
void reply_bignum(struct buf *b,int r,const char *d,size_t l){if(r==3){buf_append_byte(b,'(');buf_append(b,d,l);buf_append(b,"\r\n",2);}else reply_bulk(b,d,l);}
