// reads.c — read sequences from SAM, BAM, CRAM and FASTQ through htslib (sam_read1): each
// kept read becomes one sequence, named by its QNAME, bases as stored in the record.
// Secondary and supplementary records are skipped (their bases repeat a primary record).
#include <stdlib.h>
#include <string.h>

#include <htslib/hfile.h>
#include <htslib/sam.h>

#include "genome_internal.h"

int genome_read_records(genome_packer *p, hFILE *hf, const char *path, const pope_genome_opts *o,
                        int format) {
    if (format == GFMT_CRAM) {
        if (!o->reference || !o->reference[0]) {
            hclose_abruptly(hf);
            return pope_error("%s: CRAM needs its reference: pass --reference REF.fa", path);
        }
        // never let htslib fetch a reference over the network (its default REF_PATH is EBI)
        setenv("REF_PATH", "/nonexistent/pope-no-download", 0);
        setenv("REF_CACHE", "/nonexistent/pope-no-download", 0);
    }
    samFile *fp = hts_hopen(hf, path, "r");
    if (!fp) {
        hclose_abruptly(hf);
        return pope_error("%s: htslib cannot open it as %s", path, genome_format_names[format]);
    }
    if (format == GFMT_CRAM && hts_set_fai_filename(fp, o->reference) != 0) {
        hts_close(fp);
        return pope_error("%s: cannot use reference %s", path, o->reference);
    }
    sam_hdr_t *hdr = sam_hdr_read(fp);
    if (!hdr) {
        hts_close(fp);
        return pope_error("%s: cannot read the %s header", path, genome_format_names[format]);
    }
    bam1_t *b = bam_init1();
    char *seq = NULL;
    size_t seq_cap = 0;
    int rc = 0, r;
    int64_t n_kept = 0, n_records = 0;
    while ((r = sam_read1(fp, hdr, b)) >= 0) {
        n_records++;
        uint16_t flag = b->core.flag;
        if (flag & (BAM_FSECONDARY | BAM_FSUPPLEMENTARY)) continue;
        if (o->mapped_only && (flag & BAM_FUNMAP)) continue;
        if (o->unmapped_only && !(flag & BAM_FUNMAP)) continue;
        int n = b->core.l_qseq;
        if (n <= 0) continue;   // sequence '*'
        if ((size_t)n > seq_cap) {
            seq_cap = (size_t)n * 2;
            char *s = realloc(seq, seq_cap);
            if (!s) {
                rc = pope_error("out of memory");
                break;
            }
            seq = s;
        }
        const uint8_t *packed = bam_get_seq(b);
        for (int i = 0; i < n; i++) seq[i] = seq_nt16_str[bam_seqi(packed, i)];   // "=ACMGRSVTWYHKDBN"
        for (int i = 0; i < n; i++)
            if (seq[i] == '=') seq[i] = 'N';   // '=' (same as reference) carries no base here
        const char *name = bam_get_qname(b);
        if (packer_begin(p, name, strlen(name)) || packer_push(p, seq, (size_t)n, NULL) || packer_end(p)) {
            rc = -1;
            break;
        }
        n_kept++;
    }
    if (rc == 0 && r < -1)
        rc = pope_error("%s: truncated or corrupt %s record after %lld records", path,
                        genome_format_names[format], (long long)n_records);
    if (rc == 0 && n_kept == 0)
        rc = pope_error("%s: no usable reads (%lld records; secondary/supplementary, filtered or without sequence)",
                        path, (long long)n_records);
    free(seq);
    bam_destroy1(b);
    sam_hdr_destroy(hdr);
    if (hts_close(fp) != 0 && rc == 0) rc = pope_error("%s: error closing (truncated?)", path);
    return rc;
}
