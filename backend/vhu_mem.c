/* SPDX-License-Identifier: BSD-3-Clause */
/* Guest memory: mapping regions and translating guest-physical and front-end addresses. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhu_int.h"

static bool vhu_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Checks a region description against the table it would join. */
static int vhu_region_check(struct vhu_port *p, const struct vhu_mem *m,
			    const struct vhu_region_desc *d)
{
	uint64_t end;

	if (d->size == 0 || __builtin_add_overflow(d->gpa, d->size, &end) ||
	    __builtin_add_overflow(d->uva, d->size, &end) ||
	    __builtin_add_overflow(d->mmap_offset, d->size, &end) || end > (uint64_t)SIZE_MAX) {
		VHU_LOG(p, "memory region gpa 0x%llx size 0x%llx: size zero or wraps",
			(unsigned long long)d->gpa, (unsigned long long)d->size);
		return -EINVAL;
	}
	if (m->n >= VHU_MAX_MEM_SLOTS) {
		VHU_LOG(p, "memory region: more than %u regions", VHU_MAX_MEM_SLOTS);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < m->n; i++) {
		const struct vhu_region *r = &m->r[i];

		if (vhu_ranges_overlap(d->gpa, d->size, r->gpa, r->size) ||
		    vhu_ranges_overlap(d->uva, d->size, r->uva, r->size)) {
			VHU_LOG(p, "memory region gpa 0x%llx size 0x%llx overlaps gpa 0x%llx",
				(unsigned long long)d->gpa, (unsigned long long)d->size,
				(unsigned long long)r->gpa);
			return -EINVAL;
		}
	}
	return 0;
}

/* Maps fd for d and inserts it in gpa order. The caller keeps and closes fd. */
int vhu_mem_add(struct vhu_port *p, struct vhu_mem *m, const struct vhu_region_desc *d, int fd)
{
	struct vhu_region r;
	struct stat st;
	uint64_t need = d->mmap_offset + d->size;
	size_t align;
	unsigned pos;
	int ret = vhu_region_check(p, m, d);

	if (ret)
		return ret;
	if (fd < 0 || fstat(fd, &st) < 0) {
		VHU_LOG(p, "memory region: bad fd");
		return -EBADF;
	}
	/* A mapping past the file's end would fault (SIGBUS) on first touch. */
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < need) {
		VHU_LOG(p, "memory region: fd is %lld bytes, region needs %llu",
			(long long)st.st_size, (unsigned long long)need);
		return -EINVAL;
	}
	/* hugetlbfs reports its page size here: mappings must be multiples of it. */
	align = st.st_blksize > 0 ? (size_t)st.st_blksize : 4096;
	r.map_len = ((size_t)need + align - 1) / align * align;
	r.map = mmap(NULL, r.map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (r.map == MAP_FAILED) {
		ret = -errno;
		VHU_LOG(p, "memory region: mmap of %zu bytes failed: %s", r.map_len,
			strerror(-ret));
		return ret;
	}
	r.gpa = d->gpa;
	r.size = d->size;
	r.uva = d->uva;
	r.host = (uint8_t *)r.map + d->mmap_offset;
	r.refs = 1;
	for (pos = 0; pos < m->n && m->r[pos].gpa < r.gpa; pos++)
		;
	memmove(&m->r[pos + 1], &m->r[pos], (m->n - pos) * sizeof(m->r[0]));
	m->r[pos] = r;
	m->n++;
	return 0;
}

struct vhu_region *vhu_mem_find(struct vhu_mem *m, const struct vhu_region_desc *d)
{
	for (unsigned i = 0; m && i < m->n; i++) {
		struct vhu_region *r = &m->r[i];

		if (r->gpa == d->gpa && r->size == d->size && r->uva == d->uva &&
		    r->host == (uint8_t *)r->map + d->mmap_offset)
			return r;
	}
	return NULL;
}

/* Takes out the region d names (same gpa, size and uva) without unmapping it. */
int vhu_mem_remove(struct vhu_mem *m, const struct vhu_region_desc *d, struct vhu_region *out)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct vhu_region *r = &m->r[i];

		if (r->gpa != d->gpa || r->size != d->size || r->uva != d->uva)
			continue;
		*out = *r;
		memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof(m->r[0]));
		m->n--;
		return 0;
	}
	return -ENOENT;
}

void vhu_region_unmap(struct vhu_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	r->map = NULL;
}

void vhu_mem_unmap_all(struct vhu_mem *m)
{
	for (unsigned i = 0; i < m->n; i++)
		vhu_region_unmap(&m->r[i]);
	m->n = 0;
}

void vhu_mem_unmap_dropped(struct vhu_mem *old, const struct vhu_mem *new_mem)
{
	for (unsigned i = 0; i < old->n; i++) {
		bool kept = false;

		for (unsigned j = 0; new_mem && j < new_mem->n; j++)
			kept |= new_mem->r[j].map == old->r[i].map;
		if (!kept)
			vhu_region_unmap(&old->r[i]);
	}
	old->n = 0;
}

/* Front-end virtual address to host; NULL unless [uva, uva+len) lies in one region. */
void *vhu_uva_to_host(const struct vhu_mem *m, uint64_t uva, uint64_t len)
{
	for (unsigned i = 0; m && i < m->n; i++) {
		const struct vhu_region *r = &m->r[i];
		uint64_t off = uva - r->uva;

		if (uva >= r->uva && off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

/* The vring_mem_ops hook: hot path, so a last-hit check before the scan. */
void *vhu_gpa_to_host(void *ctx, uint64_t gpa, uint64_t want, uint64_t *contig)
{
	struct vhu_dpq_priv *d = ctx;
	const struct vhu_mem *m = d->mem;
	const struct vhu_region *r;
	uint64_t off, left;
	unsigned i = d->hint;

	if (i >= m->n || gpa - m->r[i].gpa >= m->r[i].size) {
		for (i = 0; i < m->n; i++)
			if (gpa - m->r[i].gpa < m->r[i].size)
				break;
		if (i == m->n)
			return NULL;
		d->hint = i;
	}
	r = &m->r[i];
	off = gpa - r->gpa;
	left = r->size - off;
	*contig = want < left ? want : left;
	return r->host + off;
}
