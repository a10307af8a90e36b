/* ixmgr output: the target's text records as records, tables, JSON or Prometheus text. */
#ifndef IXMGR_OUTPUT_H
#define IXMGR_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* Copies the records text[0..len) through unchanged (one "TYPE key=value" per line). */
int ixmgr_out_records(FILE *f, const char *text, size_t len);

/*
 * Prints the records as tables, one per record type in order of first appearance: a title
 * line, a header of the keys (upper case) and one row per record, values unescaped; "-" where
 * a record lacks a key. Returns 0, or -1 if a record is malformed.
 */
int ixmgr_out_table(FILE *f, const char *text, size_t len);

/*
 * Prints the records as one JSON object: {"TYPE": [{"key": value, ...}, ...], ...}. Values
 * that are plain decimal numbers become JSON numbers, the others strings. Returns 0 or -1.
 */
int ixmgr_out_json(FILE *f, const char *text, size_t len);

/*
 * Prints stats records in the Prometheus text exposition format (HELP and TYPE lines; metric
 * names ixos_*; keys core/name/port/id become labels; batch records a histogram). Returns 0
 * or -1.
 */
int ixmgr_out_prometheus(FILE *f, const char *text, size_t len);

/* Prints the text= values of "line" records (the kernel log), unescaped, one per line. */
int ixmgr_out_log(FILE *f, const char *text, size_t len);

#endif
