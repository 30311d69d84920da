/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user wire format (QEMU docs/interop/vhost-user.rst): little-endian, a 12-byte header
 * then `size` bytes of payload; fds travel as SCM_RIGHTS with the header.
 */
#ifndef VHOSTD_VHU_PROTO_H
#define VHOSTD_VHU_PROTO_H

#include <stdint.h>

#include "vhu.h"

enum vhu_req {
	VHU_REQ_GET_FEATURES = 1,
	VHU_REQ_SET_FEATURES = 2,
	VHU_REQ_SET_OWNER = 3,
	VHU_REQ_RESET_OWNER = 4,
	VHU_REQ_SET_MEM_TABLE = 5,
	VHU_REQ_SET_LOG_BASE = 6,
	VHU_REQ_SET_LOG_FD = 7,
	VHU_REQ_SET_VRING_NUM = 8,
	VHU_REQ_SET_VRING_ADDR = 9,
	VHU_REQ_SET_VRING_BASE = 10,
	VHU_REQ_GET_VRING_BASE = 11,
	VHU_REQ_SET_VRING_KICK = 12,
	VHU_REQ_SET_VRING_CALL = 13,
	VHU_REQ_SET_VRING_ERR = 14,
	VHU_REQ_GET_PROTOCOL_FEATURES = 15,
	VHU_REQ_SET_PROTOCOL_FEATURES = 16,
	VHU_REQ_GET_QUEUE_NUM = 17,
	VHU_REQ_SET_VRING_ENABLE = 18,
	VHU_REQ_SEND_RARP = 19,
	VHU_REQ_NET_SET_MTU = 20,
	VHU_REQ_SET_BACKEND_REQ_FD = 21,
	VHU_REQ_IOTLB_MSG = 22,
	VHU_REQ_SET_VRING_ENDIAN = 23,
	VHU_REQ_GET_CONFIG = 24,
	VHU_REQ_SET_CONFIG = 25,
	VHU_REQ_GET_INFLIGHT_FD = 31,
	VHU_REQ_SET_INFLIGHT_FD = 32,
	VHU_REQ_RESET_DEVICE = 34,
	VHU_REQ_VRING_KICK = 35,
	VHU_REQ_GET_MAX_MEM_SLOTS = 36,
	VHU_REQ_ADD_MEM_REG = 37,
	VHU_REQ_REM_MEM_REG = 38,
	VHU_REQ_SET_STATUS = 39,
	VHU_REQ_GET_STATUS = 40,
	VHU_REQ_MAX = 41, /* first id past the table */
};

#define VHU_FLAG_VERSION_MASK 0x3u
#define VHU_VERSION	      0x1u
#define VHU_FLAG_REPLY	      (1u << 2)
#define VHU_FLAG_NEED_REPLY   (1u << 3)

/* Protocol feature bits. */
#define VHU_PF_MQ		   0
#define VHU_PF_LOG_SHMFD	   1
#define VHU_PF_RARP		   2
#define VHU_PF_REPLY_ACK	   3
#define VHU_PF_MTU		   4
#define VHU_PF_BACKEND_REQ	   5
#define VHU_PF_CROSS_ENDIAN	   6
#define VHU_PF_CONFIG		   9
#define VHU_PF_INFLIGHT_SHMFD	   12
#define VHU_PF_RESET_DEVICE	   13
#define VHU_PF_INBAND_NOTIFY	   14
#define VHU_PF_CONFIGURE_MEM_SLOTS 15
#define VHU_PF_STATUS		   16

/* Device feature bits beyond vring.h's. */
#define VHU_F_NET_MTU		3
#define VHU_F_NET_STATUS	16
#define VHU_F_NET_MQ		22
#define VHU_F_PROTOCOL_FEATURES 30

/* SET_VRING_KICK/CALL/ERR payload: bits 0-7 queue index, bit 8 "no fd". */
#define VHU_VRING_IDX_MASK 0xffu
#define VHU_VRING_NOFD	   (1u << 8)

#define VHU_VRING_F_LOG 1u /* vring address flag: log used ring writes */

#define VHU_MAX_FDS	8u    /* fds one message may carry */
#define VHU_PAYLOAD_MAX 4096u /* larger size fields drop the connection */

struct vhu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vhu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vhu_region_desc {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vhu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhu_region_desc regions[VHU_MEM_TABLE_MAX];
};

struct vhu_mem_single {
	uint64_t padding;
	struct vhu_region_desc region;
};

union vhu_payload {
	uint64_t u64;
	struct vhu_vring_state state;
	struct vhu_vring_addr addr;
	struct vhu_mem_table mem;
	struct vhu_mem_single one;
	uint8_t raw[VHU_PAYLOAD_MAX];
};

#define VHU_MEM_TABLE_HDR_SIZE 8u

#endif /* VHOSTD_VHU_PROTO_H */
