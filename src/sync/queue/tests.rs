//! The queue's unit tests: hand-off, cancellation, `join`, shutdown and
//! the three orders, driven poll by poll with recording wakers.

use super::super::waiters::wake_log::{WakeLog, poll_with};
use super::*;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

#[test]
fn items_come_out_in_the_order_they_went_in() {
    let queue = Queue::unbounded();
    for item in 1..=3 {
        queue.put_nowait(item).unwrap();
    }
    assert_eq!(queue.qsize(), 3);
    let out: Vec<_> = (0..3).map(|_| queue.get_nowait().unwrap()).collect();
    assert_eq!(out, [1, 2, 3]);
    assert!(queue.empty());
}

#[test]
fn maxsize_zero_means_unbounded() {
    let queue = Queue::new(0);
    for item in 0..1000 {
        queue.put_nowait(item).unwrap();
    }
    assert!(!queue.full());
    assert_eq!(queue.qsize(), 1000);
    let log = WakeLog::new();
    assert!(poll_with(pin!(queue.put(1000)), &log.waker(1)).is_ready());
}

#[test]
fn put_nowait_on_a_full_queue_gives_the_item_back() {
    let queue = Queue::new(2);
    queue.put_nowait("a").unwrap();
    assert!(!queue.full());
    queue.put_nowait("b").unwrap();
    assert!(queue.full());
    let error = queue.put_nowait("c").unwrap_err();
    assert_eq!(error.to_string(), "queue is full; await put() to wait for a free slot");
    assert_eq!(format!("{error:?}"), "Full(..)");
    assert_eq!(error.into_inner(), "c");
    assert_eq!(queue.qsize(), 2);
}

#[test]
fn get_nowait_on_an_empty_queue_is_an_error() {
    let queue: Queue<u8> = Queue::new(1);
    let error = queue.get_nowait().unwrap_err();
    assert_eq!(error, GetError::Empty);
    assert_eq!(error.to_string(), "queue is empty; await get() to wait for an item");
}

#[test]
fn getters_are_served_in_arrival_order() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let mut getters: Vec<_> = (0..3).map(|_| Box::pin(queue.get())).collect();
    for (id, getter) in getters.iter_mut().enumerate() {
        assert!(poll_with(getter.as_mut(), &log.waker(id)).is_pending());
    }

    queue.put_nowait('a').unwrap();
    assert_eq!(log.take(), [0]);
    queue.put_nowait('b').unwrap();
    queue.put_nowait('c').unwrap();
    assert_eq!(log.take(), [1, 2]);

    let mut got = Vec::new();
    for (id, getter) in getters.iter_mut().enumerate() {
        let Poll::Ready(item) = poll_with(getter.as_mut(), &log.waker(id)) else {
            panic!("getter {id} was granted an item");
        };
        got.push(item.unwrap());
    }
    assert_eq!(got, ['a', 'b', 'c']);
    assert!(queue.empty());
}

#[test]
fn an_item_claimed_for_a_woken_getter_cannot_be_taken_by_get_nowait() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let mut getter = pin!(queue.get());
    assert!(poll_with(getter.as_mut(), &log.waker(1)).is_pending());

    queue.put_nowait(5).unwrap();
    assert_eq!(log.take(), [1]);
    assert_eq!(queue.qsize(), 1);
    assert_eq!(queue.get_nowait(), Err(GetError::Empty));
    // A newcomer's `get` must queue behind the woken getter, too.
    assert!(poll_with(pin!(queue.get()), &log.waker(2)).is_pending());
    assert_eq!(poll_with(getter, &log.waker(1)), Poll::Ready(Ok(5)));
}

#[test]
fn putters_wait_while_full_and_are_let_in_in_arrival_order() {
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait(0).unwrap();
    let mut putters: Vec<_> = (1..=3).map(|item| Box::pin(queue.put(item))).collect();
    for (id, putter) in putters.iter_mut().enumerate() {
        assert!(poll_with(putter.as_mut(), &log.waker(id)).is_pending());
    }
    assert_eq!(queue.qsize(), 1);

    let mut out = Vec::new();
    for (id, putter) in putters.iter_mut().enumerate() {
        out.push(queue.get_nowait().unwrap());
        assert_eq!(log.take(), [id], "the get let exactly the next putter in");
        assert!(poll_with(putter.as_mut(), &log.waker(id)).is_ready());
    }
    out.push(queue.get_nowait().unwrap());
    assert_eq!(out, [0, 1, 2, 3]);
}

#[test]
fn a_slot_reserved_for_a_woken_putter_cannot_be_taken_by_put_nowait() {
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait("old").unwrap();
    let mut putter = pin!(queue.put("waited"));
    assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());

    assert_eq!(queue.get_nowait(), Ok("old"));
    assert_eq!(log.take(), [1]);
    assert!(!queue.full(), "the slot is empty, but it is reserved");
    assert_eq!(queue.put_nowait("barger").unwrap_err().into_inner(), "barger");
    assert!(poll_with(putter, &log.waker(1)).is_ready());
    assert_eq!(queue.get_nowait(), Ok("waited"));
}

#[test]
fn a_cancelled_queued_getter_is_skipped() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let mut gone = Box::pin(queue.get());
    let mut stays = pin!(queue.get());
    assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());
    drop(gone);
    queue.put_nowait('x').unwrap();
    assert_eq!(log.take(), [2]);
    assert_eq!(poll_with(stays, &log.waker(2)), Poll::Ready(Ok('x')));
}

#[test]
fn a_woken_getter_dropped_before_running_passes_its_item_on() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let mut first = Box::pin(queue.get());
    let mut second = pin!(queue.get());
    assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

    queue.put_nowait('x').unwrap();
    assert_eq!(log.take(), [1]);
    drop(first);
    assert_eq!(log.take(), [2]);
    assert_eq!(poll_with(second, &log.waker(2)), Poll::Ready(Ok('x')));
}

#[test]
fn a_woken_getter_dropped_with_nobody_behind_it_leaves_the_item_queued() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let mut getter = Box::pin(queue.get());
    assert!(poll_with(getter.as_mut(), &log.waker(1)).is_pending());
    queue.put_nowait('x').unwrap();
    assert_eq!(queue.get_nowait(), Err(GetError::Empty));
    drop(getter);
    assert_eq!(queue.get_nowait(), Ok('x'));
}

#[test]
fn a_cancelled_queued_putter_drops_its_item_and_is_skipped() {
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait(Rc::new("first")).unwrap();
    let cancelled_item = Rc::new("cancelled");
    let mut gone = Box::pin(queue.put(Rc::clone(&cancelled_item)));
    let mut stays = pin!(queue.put(Rc::new("stays")));
    assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());

    drop(gone);
    assert_eq!(Rc::strong_count(&cancelled_item), 1, "the item was dropped");
    assert_eq!(*queue.get_nowait().unwrap(), "first");
    assert_eq!(log.take(), [2]);
    assert!(poll_with(stays, &log.waker(2)).is_ready());
    assert_eq!(*queue.get_nowait().unwrap(), "stays");
    assert_eq!(queue.get_nowait(), Err(GetError::Empty));
}

#[test]
fn a_woken_putter_dropped_before_running_passes_its_slot_on_and_its_item_is_not_queued() {
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait("first").unwrap();
    let mut gone = Box::pin(queue.put("cancelled"));
    let mut stays = pin!(queue.put("stays"));
    assert!(poll_with(gone.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(stays.as_mut(), &log.waker(2)).is_pending());

    assert_eq!(queue.get_nowait(), Ok("first"));
    assert_eq!(log.take(), [1]);
    drop(gone);
    assert_eq!(log.take(), [2], "the reserved slot moved to the next putter");
    assert!(poll_with(stays, &log.waker(2)).is_ready());
    assert_eq!(queue.get_nowait(), Ok("stays"));
    assert_eq!(queue.get_nowait(), Err(GetError::Empty));
}

#[test]
fn a_woken_putter_dropped_with_nobody_behind_it_frees_its_slot() {
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait(1).unwrap();
    let mut putter = Box::pin(queue.put(2));
    assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
    assert_eq!(queue.get_nowait(), Ok(1));
    assert!(queue.put_nowait(3).is_err(), "the slot is reserved");
    drop(putter);
    assert!(queue.put_nowait(3).is_ok());
}

#[test]
fn a_put_into_a_slot_freed_by_a_getter_wakes_a_waiting_getter() {
    // Both lines at once: a full queue of size 1 with a putter waiting,
    // drained by a getter, then a second getter arrives empty-handed.
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait('a').unwrap();
    let mut putter = pin!(queue.put('b'));
    assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
    assert_eq!(queue.get_nowait(), Ok('a'));
    let mut getter = pin!(queue.get());
    assert!(poll_with(getter.as_mut(), &log.waker(2)).is_pending());
    assert_eq!(log.take(), [1]);

    assert!(poll_with(putter, &log.waker(1)).is_ready());
    assert_eq!(log.take(), [2]);
    assert_eq!(poll_with(getter, &log.waker(2)), Poll::Ready(Ok('b')));
}

#[test]
fn the_waker_from_the_latest_poll_is_the_one_woken() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let mut getter = pin!(queue.get());
    assert!(poll_with(getter.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(getter.as_mut(), &log.waker(2)).is_pending());
    queue.put_nowait(()).unwrap();
    assert_eq!(log.take(), [2]);
}

#[test]
fn join_waits_until_every_item_is_marked_done() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    assert!(poll_with(pin!(queue.join()), &log.waker(0)).is_ready());

    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();
    let mut first = pin!(queue.join());
    let mut second = pin!(queue.join());
    assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());

    queue.get_nowait().unwrap();
    queue.get_nowait().unwrap();
    queue.task_done();
    assert!(log.take().is_empty(), "one item is still unfinished");
    assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
    queue.task_done();
    assert_eq!(log.take(), [1, 2]);
    // A put after the wake does not take the wake back.
    queue.put_nowait(3).unwrap();
    assert!(poll_with(first, &log.waker(1)).is_ready());
    assert!(poll_with(second, &log.waker(2)).is_ready());
    assert!(poll_with(pin!(queue.join()), &log.waker(3)).is_pending());
}

#[test]
fn items_handed_to_a_waiting_putter_count_for_join() {
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait(1).unwrap();
    let mut putter = pin!(queue.put(2));
    assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
    queue.get_nowait().unwrap();
    queue.task_done();
    // The putter's item is not in yet, so nothing is unfinished.
    assert!(poll_with(pin!(queue.join()), &log.waker(2)).is_ready());
    assert!(poll_with(putter, &log.waker(1)).is_ready());
    assert!(poll_with(pin!(queue.join()), &log.waker(3)).is_pending());
}

#[test]
#[should_panic(expected = "task_done() called more times than items were put in the queue")]
fn task_done_called_more_times_than_items_were_put_panics() {
    let queue = Queue::unbounded();
    queue.put_nowait(1).unwrap();
    queue.get_nowait().unwrap();
    queue.task_done();
    queue.task_done();
}

#[test]
fn shutdown_wakes_every_waiting_putter_and_getter_to_fail() {
    let log = WakeLog::new();
    let full = Queue::new(1);
    full.put_nowait("held").unwrap();
    let mut putter = pin!(full.put("waiting"));
    assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
    let empty: Queue<u8> = Queue::unbounded();
    let mut getter = pin!(empty.get());
    assert!(poll_with(getter.as_mut(), &log.waker(2)).is_pending());

    full.shutdown(false);
    empty.shutdown(false);
    assert_eq!(log.take(), [1, 2]);
    let Poll::Ready(Err(PutError::ShutDown(item))) = poll_with(putter, &log.waker(1)) else {
        panic!("a put on a shut-down queue fails");
    };
    assert_eq!(item, "waiting", "the item comes back");
    assert_eq!(poll_with(getter, &log.waker(2)), Poll::Ready(Err(GetError::ShutDown)));
    // Without `immediate`, what was queued is still there to drain.
    assert_eq!(full.get_nowait(), Ok("held"));
    assert_eq!(full.get_nowait(), Err(GetError::ShutDown));
}

#[test]
fn a_slot_reserved_before_a_shutdown_is_void() {
    let log = WakeLog::new();
    let queue = Queue::new(1);
    queue.put_nowait(1).unwrap();
    let mut putter = pin!(queue.put(2));
    assert!(poll_with(putter.as_mut(), &log.waker(1)).is_pending());
    assert_eq!(queue.get_nowait(), Ok(1));
    assert_eq!(log.take(), [1], "the freed slot was reserved for the putter");
    queue.shutdown(false);
    assert!(matches!(poll_with(putter, &log.waker(1)), Poll::Ready(Err(PutError::ShutDown(2)))));
    assert!(queue.empty());
}

#[test]
fn an_item_claimed_before_a_shutdown_goes_to_whoever_asks_first() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let mut first = pin!(queue.get());
    let mut second = Box::pin(queue.get());
    assert!(poll_with(first.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(second.as_mut(), &log.waker(2)).is_pending());
    queue.put_nowait('x').unwrap();
    queue.put_nowait('y').unwrap();
    assert_eq!(log.take(), [1, 2]);

    queue.shutdown(false);
    // The claims are void: a newcomer takes the front item, as in asyncio.
    assert_eq!(queue.get_nowait(), Ok('x'));
    // A claimed getter dropped now gives nothing back: there is no claim.
    drop(second);
    assert_eq!(poll_with(first, &log.waker(1)), Poll::Ready(Ok('y')));
    assert_eq!(queue.get_nowait(), Err(GetError::ShutDown));
}

#[test]
fn an_immediate_shutdown_drops_the_items_and_counts_them_done() {
    let log = WakeLog::new();
    let queue = Queue::unbounded();
    let item = Rc::new("dropped");
    for _ in 0..3 {
        queue.put_nowait(Rc::clone(&item)).unwrap();
    }
    let taken = queue.get_nowait().unwrap();
    let mut joiner = pin!(queue.join());
    assert!(poll_with(joiner.as_mut(), &log.waker(1)).is_pending());

    queue.shutdown(true);
    assert_eq!(queue.qsize(), 0);
    assert_eq!(Rc::strong_count(&item), 2, "the two queued items were dropped");
    assert!(log.take().is_empty(), "the taken item is still unfinished");
    drop(taken);
    queue.task_done();
    assert_eq!(log.take(), [1]);
    assert!(poll_with(joiner, &log.waker(1)).is_ready());
}

#[test]
fn lifo_and_priority_queues_hand_claimed_items_out_in_their_own_order() {
    let log = WakeLog::new();
    let lifo = Queue::lifo(0);
    let priority = Queue::priority(0);
    let mut lifo_getter = pin!(lifo.get());
    let mut priority_getter = pin!(priority.get());
    assert!(poll_with(lifo_getter.as_mut(), &log.waker(1)).is_pending());
    assert!(poll_with(priority_getter.as_mut(), &log.waker(2)).is_pending());
    for item in [5, 1, 3] {
        lifo.put_nowait(item).unwrap();
        priority.put_nowait(item).unwrap();
    }
    assert_eq!(log.take(), [1, 2]);
    // One item of each is claimed; a newcomer takes the next in order, and
    // the woken getter takes the next one after that.
    assert_eq!(lifo.get_nowait(), Ok(3));
    assert_eq!(priority.get_nowait(), Ok(1));
    assert_eq!(poll_with(lifo_getter, &log.waker(1)), Poll::Ready(Ok(1)));
    assert_eq!(poll_with(priority_getter, &log.waker(2)), Poll::Ready(Ok(3)));
    assert_eq!((lifo.get_nowait(), priority.get_nowait()), (Ok(5), Ok(5)));
}

#[test]
fn a_shut_down_priority_or_lifo_queue_drains_in_its_own_order() {
    let priority = Queue::priority(0);
    let lifo = Queue::lifo(0);
    for item in [3, 1, 2] {
        priority.put_nowait(item).unwrap();
        lifo.put_nowait(item).unwrap();
    }
    priority.shutdown(false);
    lifo.shutdown(false);
    let from_priority: Vec<_> = std::iter::from_fn(|| priority.get_nowait().ok()).collect();
    let from_lifo: Vec<_> = std::iter::from_fn(|| lifo.get_nowait().ok()).collect();
    assert_eq!(from_priority, [1, 2, 3]);
    assert_eq!(from_lifo, [2, 1, 3]);
    assert_eq!(priority.get_nowait(), Err(GetError::ShutDown));

    let dropped = Queue::priority(0);
    dropped.put_nowait(1).unwrap();
    dropped.shutdown(true);
    assert!(dropped.empty());
    assert!(matches!(dropped.put_nowait(2), Err(PutError::ShutDown(2))));
}
