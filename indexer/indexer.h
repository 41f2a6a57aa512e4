/* indexer.h - the commands of wharf-index (prefix ix_, commands cmd_*). */
#ifndef IX_INDEXER_H
#define IX_INDEXER_H

int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);

#endif
