/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check_addr - guest address arithmetic, conformance cases 1-10 of
 * vm-memory-semantics.md section 12.1.
 *
 * vm-memory's GuestAddress is a newtype over u64.  In C a GPA is a plain
 * uint64_t: new(), raw_value(), default(), comparison, mask(), &, |, and the
 * unchecked and overflowing operations are the C operators on uint64_t
 * (unsigned arithmetic wraps modulo 2^64 by definition).  Testing the C
 * operators would test the compiler, not libvmmem, so those parts of the
 * cases are noted in comments only; each case tests what the API has:
 * vmm_mem_gpa_add() (checked_add), vmm_mem_gpa_sub() (checked_sub,
 * checked_offset_from) and vmm_mem_gpa_align_up() (checked_align_up).
 */
#include "testutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* A value no successful call in this file produces: shows "untouched". */
#define POISON UINT64_C(0xdeadbeefcafef00d)

static uint64_t add_ok(uint64_t a, uint64_t b)
{
	uint64_t out = POISON;

	ck_assert_int_eq(vmm_mem_gpa_add(a, b, &out), 0);
	return out;
}

static uint64_t sub_ok(uint64_t a, uint64_t b)
{
	uint64_t out = POISON;

	ck_assert_int_eq(vmm_mem_gpa_sub(a, b, &out), 0);
	return out;
}

static uint64_t align_ok(uint64_t a, uint64_t p)
{
	uint64_t out = POISON;

	ck_assert_int_eq(vmm_mem_gpa_align_up(a, p, &out), 0);
	return out;
}

/*
 * Case 1: "new(0).raw, new(u64::MAX).raw -> 0, u64::MAX".
 * new/raw are the identity on uint64_t in C.  What the API has: the checked
 * operations carry the full 64-bit range through unchanged (no truncation to
 * 63 bits or to off_t).
 */
START_TEST(case1_new_raw)
{
	ck_assert_uint_eq(add_ok(0, 0), 0);
	ck_assert_uint_eq(add_ok(UINT64_MAX, 0), UINT64_MAX);
	ck_assert_uint_eq(add_ok(0, UINT64_MAX), UINT64_MAX);
	ck_assert_uint_eq(sub_ok(UINT64_MAX, 0), UINT64_MAX);
	ck_assert_uint_eq(sub_ok(0, 0), 0);
	ck_assert_uint_eq(align_ok(UINT64_MAX, 1), UINT64_MAX);
	ck_assert_uint_eq(align_ok(0, 1), 0);
}
END_TEST

/*
 * Case 2: "a=0x150, b=0x100: a.checked_offset_from(b),
 * b.checked_offset_from(a), a.unchecked_offset_from(b) -> Some(0x50), None,
 * 0x50".  unchecked_offset_from is C's a - b.
 */
START_TEST(case2_offset_from)
{
	uint64_t out = POISON;

	ck_assert_uint_eq(sub_ok(0x150, 0x100), 0x50);
	ck_assert_int_eq(vmm_mem_gpa_sub(0x100, 0x150, &out), -EOVERFLOW);
	/* A failed call changes nothing (header conventions). */
	ck_assert_uint_eq(out, POISON);
}
END_TEST

/*
 * Case 3: "compare 0x300 and 0x301; 0x300 == 0x300 -> less; equal".
 * Comparison is C's < and ==.  What the API has: checked_offset_from fails
 * exactly when the address is below the base, so it orders addresses too.
 */
START_TEST(case3_compare)
{
	uint64_t out = POISON;

	ck_assert_int_eq(vmm_mem_gpa_sub(0x300, 0x301, &out), -EOVERFLOW);
	ck_assert_uint_eq(out, POISON);
	ck_assert_uint_eq(sub_ok(0x301, 0x300), 1);
	ck_assert_uint_eq(sub_ok(0x300, 0x300), 0);
}
END_TEST

/*
 * Case 4: "checked_align_up: (0x128,8), (0x128,16),
 * (u64::MAX-0x3fff, 0x10000) -> Some(0x128), Some(0x130), None".
 */
START_TEST(case4_checked_align_up)
{
	uint64_t out = POISON;

	ck_assert_uint_eq(align_ok(0x128, 8), 0x128);
	ck_assert_uint_eq(align_ok(0x128, 16), 0x130);
	ck_assert_int_eq(vmm_mem_gpa_align_up(UINT64_MAX - 0x3fff, 0x10000,
					      &out), -EOVERFLOW);
	ck_assert_uint_eq(out, POISON);

	/* Boundaries: "an overflow means the aligned value would be 2^64". */
	ck_assert_uint_eq(align_ok(UINT64_C(0xffffffffffff0000), 0x10000),
			  UINT64_C(0xffffffffffff0000));
	ck_assert_int_eq(vmm_mem_gpa_align_up(UINT64_C(0xffffffffffff0001),
					      0x10000, &out), -EOVERFLOW);
	ck_assert_uint_eq(align_ok(1, UINT64_C(1) << 63), UINT64_C(1) << 63);
	ck_assert_uint_eq(align_ok(0, UINT64_C(1) << 63), 0);
	ck_assert_uint_eq(align_ok(UINT64_C(1) << 63, UINT64_C(1) << 63),
			  UINT64_C(1) << 63);
	ck_assert_int_eq(vmm_mem_gpa_align_up((UINT64_C(1) << 63) + 1,
					      UINT64_C(1) << 63, &out),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_gpa_align_up(UINT64_MAX, 2, &out),
			 -EOVERFLOW);
	ck_assert_uint_eq(out, POISON);
}
END_TEST

/*
 * Case 5: "checked_align_up(0x128, 12) -> precondition violation
 * (abort/assert)".  libvmmem never aborts on bad input: -EINVAL, for a
 * non-power-of-two and for 0.
 */
START_TEST(case5_align_up_invalid)
{
	uint64_t out = POISON;

	ck_assert_int_eq(vmm_mem_gpa_align_up(0x128, 12, &out), -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_align_up(0x128, 0, &out), -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_align_up(0x128, 3, &out), -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_align_up(0x128, UINT64_MAX, &out),
			 -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_align_up(0, (UINT64_C(1) << 63) + 1,
					      &out), -EINVAL);
	ck_assert_uint_eq(out, POISON);
}
END_TEST

/*
 * Case 6: "unchecked_align_up: (0x128,8), (0x128,16) -> 0x128, 0x130".
 * unchecked_align_up is the C expression (v + p - 1) & ~(p - 1).  What the
 * API has: vmm_mem_gpa_align_up must agree with that formula whenever it
 * does not overflow, for every power of two.
 */
START_TEST(case6_align_up_matches_formula)
{
	static const uint64_t vals[] = {
		0, 1, 0x127, 0x128, 0x129, 0x130, 0xfff, 0x1000, 0x1001,
		UINT64_C(0x123456789abcdef0), UINT64_C(1) << 40,
		(UINT64_C(1) << 62) + 3,
	};
	unsigned int i, s;

	for (i = 0; i < TU_ARRAY_SIZE(vals); i++)
		for (s = 0; s < 63; s++) {
			uint64_t p = UINT64_C(1) << s;
			uint64_t want = (vals[i] + (p - 1)) & ~(p - 1);

			ck_assert_msg(align_ok(vals[i], p) == want,
				      "align_up(%#llx, %#llx)",
				      (unsigned long long)vals[i],
				      (unsigned long long)p);
		}
}
END_TEST

/*
 * Case 7: "a=0x5050: a & 0xff00, a.mask(0xff00), a | 0x5 -> addr 0x5000,
 * 0x5000, addr 0x5055".  mask, & and | are C's & and | on uint64_t; the API
 * has no counterpart.  What the API has that relates: a value masked to a
 * power-of-two boundary is a fixed point of align_up, and an unaligned one
 * rounds up to the next boundary.
 */
START_TEST(case7_mask)
{
	ck_assert_uint_eq(align_ok(0x5000, 0x100), 0x5000);
	ck_assert_uint_eq(align_ok(0x5000, 0x1000), 0x5000);
	ck_assert_uint_eq(align_ok(0x5050, 0x100), 0x5100);
	ck_assert_uint_eq(align_ok(0x5055, 4), 0x5058);
	ck_assert_uint_eq(align_ok(0x5055, 1), 0x5055);
}
END_TEST

/*
 * Case 8: "add (10,10); (MAX-1,1); (MAX,1) -> 20/no overflow; MAX/no
 * overflow; overflowing -> (0,true), checked -> None".  overflowing_add's
 * wrapped value is C's +; checked_add is vmm_mem_gpa_add.
 */
START_TEST(case8_add)
{
	uint64_t out = POISON;

	ck_assert_uint_eq(add_ok(10, 10), 20);
	ck_assert_uint_eq(add_ok(UINT64_MAX - 1, 1), UINT64_MAX);
	ck_assert_int_eq(vmm_mem_gpa_add(UINT64_MAX, 1, &out), -EOVERFLOW);
	/* "*out untouched" is in the function's own comment. */
	ck_assert_uint_eq(out, POISON);
	ck_assert_int_eq(vmm_mem_gpa_add(1, UINT64_MAX, &out), -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_gpa_add(UINT64_MAX, UINT64_MAX, &out),
			 -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_gpa_add(UINT64_C(1) << 63, UINT64_C(1) << 63,
					 &out), -EOVERFLOW);
	ck_assert_uint_eq(out, POISON);
	ck_assert_uint_eq(add_ok(UINT64_C(1) << 63, (UINT64_C(1) << 63) - 1),
			  UINT64_MAX);
}
END_TEST

/*
 * Case 9: "sub (20,10); (1,1); (0,1) -> 10; 0; overflowing -> (MAX,true),
 * checked -> None, checked_offset_from -> None".  overflowing_sub's wrapped
 * value is C's -.
 */
START_TEST(case9_sub)
{
	uint64_t out = POISON;

	ck_assert_uint_eq(sub_ok(20, 10), 10);
	ck_assert_uint_eq(sub_ok(1, 1), 0);
	ck_assert_int_eq(vmm_mem_gpa_sub(0, 1, &out), -EOVERFLOW);
	ck_assert_uint_eq(out, POISON);
	ck_assert_int_eq(vmm_mem_gpa_sub(0, UINT64_MAX, &out), -EOVERFLOW);
	ck_assert_int_eq(vmm_mem_gpa_sub(UINT64_MAX - 1, UINT64_MAX, &out),
			 -EOVERFLOW);
	ck_assert_uint_eq(out, POISON);
	ck_assert_uint_eq(sub_ok(UINT64_MAX, 1), UINT64_MAX - 1);
	ck_assert_uint_eq(sub_ok(UINT64_MAX, UINT64_MAX), 0);
}
END_TEST

/*
 * Case 10: "default; 0x0ff0 & 0xf00f; 0x0ff0 | 0xf00f -> 0; 0; 0xffff".
 * default() is 0 (a zeroed uint64_t) and & and | are C's.  What the API
 * has: the checked sum of two values with disjoint bits equals their |, and
 * the NULL-out contract of all three functions.
 */
START_TEST(case10_default_bit_ops)
{
	uint64_t out = POISON;

	ck_assert_uint_eq(add_ok(0x0ff0, 0xf00f), 0xffff);
	ck_assert_uint_eq(sub_ok(0xffff, 0xf00f), 0x0ff0);

	ck_assert_int_eq(vmm_mem_gpa_add(1, 2, NULL), -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_sub(2, 1, NULL), -EINVAL);
	ck_assert_int_eq(vmm_mem_gpa_align_up(1, 2, NULL), -EINVAL);
	ck_assert_uint_eq(out, POISON);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("conformance");

	tcase_add_test(tc, case1_new_raw);
	tcase_add_test(tc, case2_offset_from);
	tcase_add_test(tc, case3_compare);
	tcase_add_test(tc, case4_checked_align_up);
	tcase_add_test(tc, case5_align_up_invalid);
	tcase_add_test(tc, case6_align_up_matches_formula);
	tcase_add_test(tc, case7_mask);
	tcase_add_test(tc, case8_add);
	tcase_add_test(tc, case9_sub);
	tcase_add_test(tc, case10_default_bit_ops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(addr_suite());
}
