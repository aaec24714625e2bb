//! Classic BPF as seccomp uses it: the instruction type the kernel takes, the
//! few opcodes the allowlist needs, and an interpreter of the same subset.
//!
//! The interpreter exists for the architectures whose filter cannot be run
//! here (qemu-user does not apply a guest's seccomp filter): the tests and the
//! fuzz target run every program through it, and it refuses what the kernel's
//! checker would refuse (a jump out of the program, a load outside
//! `seccomp_data`, an opcode outside the subset, no return at the end).

/// One instruction, laid out as the kernel's `struct sock_filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcode parts (linux/bpf_common.h).
pub const BPF_LD: u16 = 0x00;
pub const BPF_ALU: u16 = 0x04;
pub const BPF_JMP: u16 = 0x05;
pub const BPF_RET: u16 = 0x06;
pub const BPF_W: u16 = 0x00;
pub const BPF_ABS: u16 = 0x20;
pub const BPF_AND: u16 = 0x50;
pub const BPF_JA: u16 = 0x00;
pub const BPF_JEQ: u16 = 0x10;
pub const BPF_K: u16 = 0x00;

/// `ld [k]`: the 32-bit word at byte offset `k` of `seccomp_data`.
pub const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
/// `and #k`.
pub const ALU_AND_K: u16 = BPF_ALU | BPF_AND | BPF_K;
/// `jeq #k, jt, jf`.
pub const JEQ_K: u16 = BPF_JMP | BPF_JEQ | BPF_K;
/// `ja k` (32-bit forward offset).
pub const JA: u16 = BPF_JMP | BPF_JA;
/// `ret #k`.
pub const RET_K: u16 = BPF_RET | BPF_K;

/// The kernel's limit on a program's length (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

/// Size of `struct seccomp_data`: nr, arch, instruction_pointer, args[6].
pub const DATA_LEN: usize = 64;
/// Offsets in `seccomp_data`.
pub const OFF_NR: u32 = 0;
pub const OFF_ARCH: u32 = 4;

/// Offset of the 32-bit half of `args[i]` that holds the value of an `int`
/// or `unsigned int` argument (the low half: its place depends on byte order).
pub fn arg_low(i: u8, big_endian: bool) -> u32 {
    16 + 8 * u32::from(i) + if big_endian { 4 } else { 0 }
}

pub fn ld(k: u32) -> Insn {
    Insn {
        code: LD_W_ABS,
        jt: 0,
        jf: 0,
        k,
    }
}

pub fn and(k: u32) -> Insn {
    Insn {
        code: ALU_AND_K,
        jt: 0,
        jf: 0,
        k,
    }
}

pub fn jeq(k: u32, jt: u8, jf: u8) -> Insn {
    Insn { code: JEQ_K, jt, jf, k }
}

pub fn ja(k: u32) -> Insn {
    Insn {
        code: JA,
        jt: 0,
        jf: 0,
        k,
    }
}

pub fn ret(k: u32) -> Insn {
    Insn {
        code: RET_K,
        jt: 0,
        jf: 0,
        k,
    }
}

/// What a syscall looks like to a filter, in the byte order of the
/// architecture it is made on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Data {
    pub nr: u32,
    pub arch: u32,
    pub ip: u64,
    pub args: [u64; 6],
}

impl Data {
    pub fn to_bytes(&self, big_endian: bool) -> [u8; DATA_LEN] {
        let mut b = [0u8; DATA_LEN];
        let put32 = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let put64 = |v: u64| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        b[0..4].copy_from_slice(&put32(self.nr));
        b[4..8].copy_from_slice(&put32(self.arch));
        b[8..16].copy_from_slice(&put64(self.ip));
        for (i, a) in self.args.iter().enumerate() {
            b[16 + 8 * i..24 + 8 * i].copy_from_slice(&put64(*a));
        }
        b
    }
}

/// Why the interpreter refused a program: the kernel would refuse it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Empty or longer than `MAX_INSNS`.
    Length,
    /// An opcode outside the subset, at this index.
    Opcode(usize),
    /// A load outside `seccomp_data` or not 4-byte aligned, at this index.
    Load(usize),
    /// A jump past the end, at this index.
    Jump(usize),
    /// The last instruction reached was not a return.
    FellOff,
}

/// Runs `prog` on the bytes of one `seccomp_data`; returns the value of the
/// `ret` reached. Every jump is forward, so it ends within `prog.len()` steps.
pub fn run(prog: &[Insn], data: &[u8; DATA_LEN], big_endian: bool) -> Result<u32, Fault> {
    check(prog)?;
    let mut acc: u32 = 0;
    let mut pc = 0usize;
    while let Some(insn) = prog.get(pc) {
        match insn.code {
            LD_W_ABS => {
                let at = insn.k as usize;
                let mut w = [0u8; 4];
                w.copy_from_slice(&data[at..at + 4]);
                acc = if big_endian {
                    u32::from_be_bytes(w)
                } else {
                    u32::from_le_bytes(w)
                };
            }
            ALU_AND_K => acc &= insn.k,
            JEQ_K => {
                pc += usize::from(if acc == insn.k { insn.jt } else { insn.jf });
            }
            JA => pc += insn.k as usize,
            RET_K => return Ok(insn.k),
            _ => return Err(Fault::Opcode(pc)),
        }
        pc += 1;
    }
    Err(Fault::FellOff)
}

/// The static checks the kernel's `bpf_check_classic` and seccomp's own
/// checker make, for the subset used: length, opcodes, load offsets, jump
/// targets, and a return as the last instruction.
pub fn check(prog: &[Insn]) -> Result<(), Fault> {
    if prog.is_empty() || prog.len() > MAX_INSNS {
        return Err(Fault::Length);
    }
    let left = |pc: usize| prog.len() - pc - 1;
    for (pc, insn) in prog.iter().enumerate() {
        match insn.code {
            LD_W_ABS => {
                let at = insn.k as usize;
                if at % 4 != 0 || at + 4 > DATA_LEN {
                    return Err(Fault::Load(pc));
                }
            }
            ALU_AND_K | RET_K => {}
            JEQ_K => {
                if usize::from(insn.jt.max(insn.jf)) >= left(pc) {
                    return Err(Fault::Jump(pc));
                }
            }
            JA => {
                if insn.k as usize >= left(pc) {
                    return Err(Fault::Jump(pc));
                }
            }
            _ => return Err(Fault::Opcode(pc)),
        }
    }
    match prog.last() {
        Some(i) if i.code == RET_K => Ok(()),
        _ => Err(Fault::FellOff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(nr: u32, arch: u32, a0: u64) -> [u8; DATA_LEN] {
        Data {
            nr,
            arch,
            ip: 0,
            args: [a0, 0, 0, 0, 0, 0],
        }
        .to_bytes(false)
    }

    #[test]
    fn runs_loads_masks_and_jumps() {
        let prog = [
            ld(OFF_NR),
            jeq(7, 0, 2),
            ld(arg_low(0, false)),
            and(0xf0),
            jeq(0x10, 1, 0),
            ret(1),
            ret(2),
        ];
        assert_eq!(run(&prog, &data(7, 0, 0x1f), false), Ok(2));
        assert_eq!(run(&prog, &data(7, 0, 0x2f), false), Ok(1));
        // nr 8: jf 2 lands on `and`, acc 8 & 0xf0 = 0, jeq 0x10 fails, ret 1.
        assert_eq!(run(&prog, &data(8, 0, 0), false), Ok(1));
    }

    #[test]
    fn big_endian_loads_read_the_low_half_where_it_is() {
        let d = Data {
            nr: 1,
            arch: 2,
            ip: 0,
            args: [0x1_0000_0005, 0, 0, 0, 0, 0],
        }
        .to_bytes(true);
        assert_eq!(run(&[ld(arg_low(0, true)), ret(0)], &d, true), Ok(0));
        let prog = [ld(arg_low(0, true)), jeq(5, 0, 1), ret(1), ret(0)];
        assert_eq!(run(&prog, &d, true), Ok(1));
    }

    #[test]
    fn refuses_what_the_kernel_refuses() {
        assert_eq!(check(&[]), Err(Fault::Length));
        assert_eq!(check(&[ld(64), ret(0)]), Err(Fault::Load(0)));
        assert_eq!(check(&[ld(2), ret(0)]), Err(Fault::Load(0)));
        assert_eq!(check(&[jeq(0, 1, 0), ret(0)]), Err(Fault::Jump(0)));
        assert_eq!(check(&[ja(1), ret(0)]), Err(Fault::Jump(0)));
        assert_eq!(check(&[ld(0)]), Err(Fault::FellOff));
        assert_eq!(
            check(&[
                Insn {
                    code: 0x07,
                    jt: 0,
                    jf: 0,
                    k: 0
                },
                ret(0)
            ]),
            Err(Fault::Opcode(0))
        );
        assert_eq!(check(&[ld(60), ja(0), ret(0)]), Ok(()));
    }
}
