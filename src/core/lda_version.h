/* lda_version: the product's version, one place (lda_build_info). */
#ifndef LDA_VERSION_H
#define LDA_VERSION_H
#define LDA_VERSION "0.12.0"
#endif
